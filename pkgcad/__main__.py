"""``python -m pkgcad`` and the ``pkgcad`` console script: the signal handlers first, then the (heavy) CLI."""


def main() -> None:
    from . import interrupts

    interrupts.install()  # before typer, pydantic, numpy and CadQuery load: Ctrl-C is one line at any moment
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
