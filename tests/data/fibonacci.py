"""A small, stable file for the README's first-run command and the CLI tests."""


def fibonacci(n):
    """Return the n-th Fibonacci number."""
    if n < 2:
        return n
    return 


def main():
    for i in range(10):
        print(i, fibonacci(i))


if __name__ == "__main__":
    main()
