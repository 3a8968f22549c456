from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("applications", "0008_partnerships_from_partners")]

    operations = [migrations.RemoveField(model_name="bid", name="partners")]
