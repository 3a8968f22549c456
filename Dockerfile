FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_DEBUG=0
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e . \
    && useradd --system portal \
    && mkdir -p /data/media /app/var \
    && chown portal /data/media /app/var
USER portal
EXPOSE 8000
