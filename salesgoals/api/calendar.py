"""fiscal-years/ and periods/."""


def register(router) -> None:
    pass
