"""The people we hold data about: their right to erasure (`privacy.erasure`, which asks each package to
erase what it owns), their right of access (`privacy.access_export`), and how long what they left behind
is kept (`privacy.retention`). Above the domain packages: it reads and erases across them."""
