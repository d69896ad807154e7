"""A request refused before anything is done, with the HTTP status to answer."""


class RefusedError(Exception):
    """``status`` (4xx) and ``detail``, the reason the caller reads."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
