from django import template

register = template.Library()


@register.filter
def pct(value, digits: int = 0):
    """0.7 → "70%"; None → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def score(value, digits: int = 3):
    """A loss or skill to a few decimals; None → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.{int(digits)}f}"
