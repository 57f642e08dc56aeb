"""Extraction per language on small realistic snippets: names, kinds, lines, signatures, imports."""

from __future__ import annotations

import pytest

from coderd.context.index.extract import Definition, Import, extract
from coderd.context.index.languages import LANGUAGES, language_for_path, ts_query


def defs(source: str, language: str) -> dict[str, Definition]:
    return {
        f"{d.container}.{d.name}" if d.container else d.name: d
        for d in extract(source.encode(), language).definitions
    }


def test_every_language_has_a_query_that_compiles() -> None:
    for name in LANGUAGES:
        assert ts_query(name).pattern_count > 0


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a/b.py", "python"),
        ("x.pyi", "python"),
        ("m.mjs", "javascript"),
        ("c.jsx", "javascript"),
        ("t.ts", "typescript"),
        ("v.tsx", "tsx"),
        ("main.go", "go"),
        ("lib.rs", "rust"),
        ("A.java", "java"),
        ("x.c", "c"),
        ("x.h", "cpp"),
        ("x.cc", "cpp"),
        ("README.md", None),
    ],
)
def test_language_for_path(path: str, language: str | None) -> None:
    assert language_for_path(path) == language


PYTHON = '''\
import os, sys as system
from .util import helper as h, other
from . import sibling

MAX_SIZE = 10

# A point.
class Point(Base):
    """A 2-D point.

    More text."""

    def __init__(self, x: int) -> None:
        self.x = x

    @property
    def norm(self) -> float:
        def inner():
            pass
        return 1.0


@decorator
def top(a,
        b=2) -> int:
    # not part of the signature
    return a
'''


def test_python() -> None:
    found = defs(PYTHON, "python")
    assert set(found) == {"MAX_SIZE", "Point", "Point.__init__", "Point.norm", "top"}
    assert found["MAX_SIZE"].kind == "constant"
    point = found["Point"]
    assert (point.kind, point.signature, point.doc) == (
        "class",
        "class Point(Base):",
        "A 2-D point.",
    )
    assert (point.start_line, point.end_line) == (8, 20)
    assert found["Point.norm"].kind == "method"
    assert found["Point.norm"].signature == "@property\n    def norm(self) -> float:"
    top = found["top"]
    assert top.signature == "@decorator\ndef top(a,\n        b=2) -> int:"
    assert (top.kind, top.start_line, top.end_line) == ("function", 23, 27)
    symbols = extract(PYTHON.encode(), "python")
    assert symbols.imports == (
        Import("os", (), (), 1),
        Import("sys", (), (("sys", "system"),), 1),
        Import(".util", ("helper", "other"), (("helper", "h"),), 2),
        Import(".", ("sibling",), (), 3),
    )
    assert {"Base", "helper", "decorator", "x"} <= symbols.identifiers


def test_javascript() -> None:
    source = """\
import d, {a as b, c} from "./m";
import * as ns from "lib";
const fs = require("fs");
export const add = (a, b) => a + b;
/** Greets someone. */
export function greet(name) {
  return "hi " + name;
}
class Foo extends Bar {
  // Runs it.
  run(x) { return x; }
}
"""
    found = defs(source, "javascript")
    assert found["add"].kind == "function"
    assert found["greet"].signature == "export function greet(name)"
    assert (found["greet"].doc, found["greet"].start_line, found["greet"].end_line) == (
        "Greets someone.",
        6,
        8,
    )
    assert (found["Foo.run"].kind, found["Foo.run"].doc) == ("method", "Runs it.")
    imports = extract(source.encode(), "javascript").imports
    assert imports[0] == Import("./m", ("d", "a", "c"), (("a", "b"),), 1)
    assert imports[1] == Import("lib", (), (("lib", "ns"),), 2)
    assert imports[2].module == "fs"


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_typescript(language: str) -> None:
    source = """\
import type {A} from "./a";
export interface Shape<T> extends Base {
  area(): number;
}
export type Id = string | number;
export enum Color { Red, Green }
export abstract class Circle implements Shape<number> {
  area(): number { return 1; }
}
"""
    found = defs(source, language)
    assert found["Shape"].kind == "interface"
    assert found["Shape"].signature == "export interface Shape<T> extends Base"
    assert found["Shape.area"].kind == "method"
    assert found["Id"].kind == "type"
    assert found["Color"].kind == "enum"
    assert (found["Circle"].kind, found["Circle"].start_line, found["Circle"].end_line) == (
        "class",
        7,
        9,
    )
    assert found["Circle.area"].signature == "area(): number"
    assert extract(source.encode(), language).imports == (Import("./a", ("A",), (), 1),)


def test_go() -> None:
    source = """\
package geo

import (
\t"fmt"
\tm "github.com/x/y/math"
)

const Pi = 3.14

// Point is a point.
type Point struct {
\tX int
}

func (p *Point) Move(dx int) int { return dx }

// Add adds.
func Add(a, b int) int {
\treturn a + b
}
"""
    found = defs(source, "go")
    assert (found["Point"].kind, found["Point"].doc, found["Point"].signature) == (
        "struct",
        "Point is a point.",
        "type Point struct",
    )
    assert (found["Point"].start_line, found["Point"].end_line) == (11, 13)
    assert found["Point.Move"].signature == "func (p *Point) Move(dx int) int"
    assert (found["Add"].kind, found["Add"].start_line, found["Add"].end_line) == (
        "function",
        18,
        20,
    )
    assert found["Pi"].kind == "constant"
    assert extract(source.encode(), "go").imports == (
        Import("fmt", (), (), 4),
        Import("github.com/x/y/math", (), (("github.com/x/y/math", "m"),), 5),
    )


def test_rust() -> None:
    source = """\
use std::collections::{HashMap, HashSet as Set};
use crate::shapes::Circle;
mod util;

/// The largest size.
pub const MAX: usize = 10;

pub struct Point<T> { x: T }

pub trait Area { fn area(&self) -> f64; }

impl<T> Area for Point<T> {
    fn area(&self) -> f64 { 0.0 }
}

pub fn add(a: i32) -> i32 {
    fn local() {}
    a
}

impl<T> Deref for Point<T> { type Target = T; }
"""
    found = defs(source, "rust")
    # An impl's associated type is the type's, not a top-level name of the file.
    assert "Target" not in found and found["Point.Target"].kind == "type"
    assert (found["MAX"].kind, found["MAX"].doc) == ("constant", "The largest size.")
    assert found["Point"].signature == "pub struct Point<T>"
    assert found["Area"].kind == "trait"
    assert found["Area.area"].kind == "method"
    assert found["Point.area"].signature == "fn area(&self) -> f64"
    assert (found["add"].start_line, found["add"].end_line) == (16, 19)
    assert "local" not in found  # local to a function body
    imports = extract(source.encode(), "rust").imports
    assert imports[0] == Import(
        "std::collections::{HashMap, HashSet as Set}",
        ("HashMap", "HashSet"),
        (("HashSet", "Set"),),
        1,
    )
    assert imports[1] == Import("crate::shapes::Circle", ("Circle",), (), 2)
    assert imports[2] == Import("util", (), (), 3)


def test_java() -> None:
    source = """\
package a.b;
import java.util.List;
import java.io.*;
/** A container. */
public class Box<T> extends Base {
  public static final int LIMIT = 1;
  public Box() {}
  public T get(int index) { return null; }
}
interface Named { String name(); }
"""
    found = defs(source, "java")
    assert (found["Box"].kind, found["Box"].doc, found["Box"].signature) == (
        "class",
        "A container.",
        "public class Box<T> extends Base",
    )
    assert found["Box.LIMIT"].kind == "constant"
    assert found["Box.get"].signature == "public T get(int index)"
    assert found["Named.name"].kind == "method"
    assert extract(source.encode(), "java").imports == (
        Import("java.util.List", (), (), 2),
        Import("java.io", ("*",), (), 3),
    )


def test_c() -> None:
    source = """\
#include <stdio.h>
#include "list.h"
#define MAX 10
typedef struct node { struct node *next; } node_t;
/* Adds two numbers. */
int add(int a, int b) {
  return a + b;
}
void prototype(int);
"""
    found = defs(source, "c")
    assert (found["add"].signature, found["add"].doc, found["add"].end_line) == (
        "int add(int a, int b)",
        "Adds two numbers.",
        8,
    )
    assert found["node"].kind == "struct" and found["node_t"].kind == "type"
    assert found["MAX"].kind == "constant" and found["prototype"].kind == "function"
    modules = [i.module for i in extract(source.encode(), "c").imports]
    assert modules == ["<stdio.h>", '"list.h"']


def test_cpp() -> None:
    source = """\
#include "shape.hpp"
namespace geo {
class Shape {
 public:
  virtual double area() const = 0;
  int id() const { return id_; }
 private:
  int id_;
};
double helper(int a);
}
double geo::Shape::area() const { return 0; }
"""
    found = defs(source, "cpp")
    assert found["geo.Shape"].kind == "class"
    assert found["Shape.id"].signature == "int id() const"
    assert found["geo.helper"].kind == "function"
    assert [d for d in extract(source.encode(), "cpp").definitions if d.start_line == 12] == [
        Definition("area", "method", "double geo::Shape::area() const", "", 12, 12, "Shape")
    ]


def test_broken_source_still_yields_what_parses() -> None:
    found = defs("def ok(x):\n    return x\n\ndef broken(:\n", "python")
    assert "ok" in found


def test_a_rust_struct_below_a_line_being_typed_stays_top_level() -> None:
    """anyhow's error.rs with `unsafe { ErrorImpl::` being typed: the open brace makes the
    parse put the rest of the file inside the impl; a struct there is still top-level."""
    source = """\
impl Debug for Error {
    fn fmt(&self, f: &mut Formatter) -> Result {
        unsafe { ErrorImpl::
    }
}

pub(crate) struct ErrorImpl<E = ()> {
    vtable: &'static ErrorVTable,
}

impl Deref for Error { type Target = str; }
"""
    found = defs(source, "rust")
    assert found["ErrorImpl"].kind == "struct" and found["ErrorImpl"].container == ""
    assert "Target" not in found  # an impl's associated type is still the type's
