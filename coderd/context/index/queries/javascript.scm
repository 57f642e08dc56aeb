; Definitions: @definition.<kind> is the whole node, @name its name, @body where the signature ends.
(function_declaration name: (identifier) @name body: (_) @body) @definition.function
(generator_function_declaration name: (identifier) @name body: (_) @body) @definition.function
(class_declaration name: (identifier) @name body: (_) @body) @definition.class
(class_declaration name: (identifier) @name (class_heritage (_) @base) body: (_) @body) @definition.class
(method_definition name: (_) @name body: (_) @body) @definition.method

; Top-level `const f = () => ...` is a function (that kind wins over variable in extract.py);
; other top-level bindings are variables.
(program (lexical_declaration
  (variable_declarator name: (identifier) @name
    value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])) @definition.function)
(program (export_statement (lexical_declaration
  (variable_declarator name: (identifier) @name
    value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])) @definition.function))
(program (lexical_declaration
  (variable_declarator name: (identifier) @name
    value: (_))) @definition.variable)
(program (export_statement (lexical_declaration
  (variable_declarator name: (identifier) @name
    value: (_))) @definition.variable))

; Imports: `import d, {a as b} from "./m"`, `import * as ns from "m"`, `export {x} from "m"`,
; `require("m")`.
(import_statement source: (string (string_fragment) @import.module)) @import
(import_statement (import_clause (identifier) @import.name)) @import
(import_statement (import_clause (named_imports
  (import_specifier name: (identifier) @import.name !alias)))) @import
(import_statement (import_clause (named_imports
  (import_specifier name: (identifier) @import.name alias: (identifier) @import.alias)))) @import
(import_statement (import_clause (namespace_import (identifier) @import.alias))) @import
(export_statement source: (string (string_fragment) @import.module)) @import
((call_expression function: (identifier) @_require
  arguments: (arguments . (string (string_fragment) @import.module) .)) @import
  (#eq? @_require "require"))

[(identifier) (property_identifier) (shorthand_property_identifier)] @identifier
