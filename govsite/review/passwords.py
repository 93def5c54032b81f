"""Strong passwords for platform accounts (issue 3 point 8)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

CLASS_NAMES = ("小写字母", "大写字母", "数字", "符号")


def character_classes(password: str) -> set[str]:
    """Which of lower case, upper case, digit and symbol the password uses (anything that is not a
    cased letter or a digit, a Chinese character or a space included, counts as a symbol)."""
    found = set()
    for char in password:
        if char.islower():
            found.add("小写字母")
        elif char.isupper():
            found.add("大写字母")
        elif char.isdigit():
            found.add("数字")
        else:
            found.add("符号")
    return found


class StrongPasswordValidator:
    """At least `min_length` characters (12), at least `min_classes` (3) of lower case, upper case,
    digit and symbol, and not containing the user name. Every problem is reported at once."""

    def __init__(self, min_length: int = 12, min_classes: int = 3):
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        errors = []
        if len(password) < self.min_length:
            errors.append(
                ValidationError(
                    f"密码至少需要 {self.min_length} 个字符，当前只有 {len(password)} 个。",
                    code="password_too_short",
                )
            )
        if len(character_classes(password)) < self.min_classes:
            errors.append(
                ValidationError(
                    f"密码须至少包含小写字母、大写字母、数字、符号中的 {self.min_classes} 类。",
                    code="password_too_simple",
                )
            )
        username = user.get_username() if user is not None else ""
        if username and len(username) >= 3 and username.casefold() in password.casefold():
            errors.append(ValidationError("密码不能包含用户名。", code="password_contains_username"))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return (
            f"密码至少 {self.min_length} 个字符，须包含小写字母、大写字母、数字、符号中的至少 "
            f"{self.min_classes} 类，且不能包含用户名。"
        )
