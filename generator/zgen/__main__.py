"""`python -m zgen`: the same command line as the `zgen` script."""

from zgen.cli import run

if __name__ == "__main__":
    run()
