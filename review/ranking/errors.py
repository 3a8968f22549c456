"""Errors raised by the ranking engine; the only exceptions callers need to catch."""


class RankingError(Exception):
    """Base class: the engine refuses to compute rather than return meaningless numbers."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RankingInputError(RankingError):
    """The input does not follow the contract; `field` is a path such as `scores[3].value`."""


class DisconnectedJuryError(RankingError):
    """The additive calibration needs jurors who share bids; this jury splits into groups."""

    def __init__(self, criterion: str, components: list[list[str | int]]) -> None:
        groups = "; ".join(
            "{" + ", ".join(str(juror) for juror in group) + "}" for group in components
        )
        super().__init__(
            "calibration",
            f"the additive model cannot compare jurors on criterion {criterion!r}: "
            f"the jurors form {len(components)} groups that share no bid ({groups})",
        )
        self.criterion = criterion
        self.components = components
