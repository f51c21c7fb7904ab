"""org-units/ and users/."""


def register(router) -> None:
    pass
