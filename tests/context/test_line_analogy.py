"""A line written like the one above, one name changed (line_analogy.py): the line above's next
name changed the same way leads the line hint, on a real index of real Go and Python files."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write
from test_line_shapes import hint_names

from coderd.context.retrieve.line_analogy import analogues
from coderd.context.retrieve.line_names import name_at


def made(above: str, line: str) -> tuple[str, ...]:
    text = above + "\n" + line
    return analogues(text, len(above) + 1, line)


def test_the_changed_name_is_changed_in_the_next_name_too() -> None:
    assert made("\treflect.Int8:    encodeInt8CondValue,", "\treflect.Int16:   ") == (
        "encodeInt16CondValue",
    )
    # Only the part that differs is in the next name: `encoder` -> `decoder` is en -> de.
    assert made("\tf.encoder = encodeInterned", "\tf.decoder = ") == ("decodeInterned",)
    assert made('    "int": parse_int,', '    "float": ') == ("parse_float",)
    # Its first letter's case is kept where it is changed.
    assert made("\tkinds.bool: BoolCodec{},", "\tkinds.string: ") == ("StringCodec",)


def test_no_analogy_without_one_changed_name_on_a_line_indented_alike() -> None:
    assert made("    x = foo(a)", "    y = ") == ()  # one letter: it could be anywhere
    assert made("\ta.b: encodeA,", "\tc.d: ") == ()  # two names changed
    assert made("\treflect.Int8: encodeInt8,", "\t\treflect.Int16: ") == ()  # indented more
    assert made("\treflect.Int8:", "\treflect.Int16: ") == ()  # nothing follows above
    assert made("", "\treflect.Int16: ") == ()
    assert made("\treflect.Int8: encodeInt8,", "\t") == ()  # nothing typed: line_sequence.py
    # The line above too long to read (over 160 characters): not read from the file's start.
    assert made("\tm.Int8: encodeInt8,\n\t" + "y" * 170, "\tm.Int16: ") == ()
    text = "\tm.Int8: encodeInt8,\n\tm.Int16: enc"
    at = name_at(text, len(text))
    assert at is not None and at.analogues == ("encodeInt16",)


ENCODERS = (
    "package msgpack\n\n"
    + "".join(
        f"func encode{n}Value(e *Encoder, v Value) error {{ return nil }}\n"
        for n in ("Int", "Int8Cond", "Int16Cond", "Int32Cond", "Uint", "Bool", "Float32")
    )
    + "".join(
        f"func decode{n}Value(d *Decoder, v Value) error {{ return nil }}\n"
        for n in ("Int", "Int8", "Int16", "Interface", "Map")
    )
)
TABLE = (
    "package msgpack\n\nvar valueEncoders = map[Kind]encoderFunc{\n"
    "\treflect.Bool:    encodeBoolValue,\n"
    "\treflect.Int8:    encodeInt8CondValue,\n"
    "\treflect.Int16:   "
)


def test_the_analogue_leads_the_line_hint(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "codecs.go", ENCODERS)
    write(root, "table.go", TABLE + "encodeInt16CondValue,\n}\n")
    # `reflect`, `int` fit every `encodeInt*Value` and `decodeInt*Value`; the line above says
    # which one.
    names = hint_names(root, "table.go", TABLE + "\n}\n", len(TABLE))
    assert names[0] == "encodeInt16CondValue"
