; Shared by TypeScript and TSX (languages.py points both at this file).
; Definitions: @definition.<kind> is the whole node, @name its name, @body where the signature ends.
(function_declaration name: (identifier) @name return_type: (type_annotation (_) @returns)? body: (_) @body) @definition.function
(generator_function_declaration name: (identifier) @name body: (_) @body) @definition.function
(function_signature name: (identifier) @name return_type: (type_annotation (_) @returns)?) @definition.function
(class_declaration name: (type_identifier) @name body: (_) @body) @definition.class
(abstract_class_declaration name: (type_identifier) @name body: (_) @body) @definition.class
(interface_declaration name: (type_identifier) @name body: (_) @body) @definition.interface
(type_alias_declaration name: (type_identifier) @name value: (_) @base) @definition.type
(enum_declaration name: (identifier) @name body: (_) @body) @definition.enum
(internal_module name: (_) @name body: (_) @body) @definition.module
(method_definition name: (_) @name return_type: (type_annotation (_) @returns)? body: (_) @body) @definition.method
(abstract_method_signature name: (_) @name return_type: (type_annotation (_) @returns)?) @definition.method
(interface_body (method_signature name: (_) @name return_type: (type_annotation (_) @returns)?) @definition.method)
; Base classes and interfaces, one match each (extract.py merges them).
(class_declaration name: (type_identifier) @name
  (class_heritage [(extends_clause value: (_) @base) (implements_clause (_) @base)]) body: (_) @body) @definition.class
(abstract_class_declaration name: (type_identifier) @name
  (class_heritage [(extends_clause value: (_) @base) (implements_clause (_) @base)]) body: (_) @body) @definition.class
(interface_declaration name: (type_identifier) @name (extends_type_clause type: (_) @base) body: (_) @body)
  @definition.interface

; Top-level `const f = () => ...` is a function (that kind wins over variable in extract.py);
; other top-level bindings are variables.
(program (lexical_declaration
  (variable_declarator name: (identifier) @name
    value: [(arrow_function return_type: (type_annotation (_) @returns)? body: (_) @body)
            (function_expression return_type: (type_annotation (_) @returns)? body: (_) @body)])) @definition.function)
(program (export_statement (lexical_declaration
  (variable_declarator name: (identifier) @name
    value: [(arrow_function return_type: (type_annotation (_) @returns)? body: (_) @body)
            (function_expression return_type: (type_annotation (_) @returns)? body: (_) @body)])) @definition.function))
(program (lexical_declaration (variable_declarator name: (identifier) @name value: (_))) @definition.variable)
(program (export_statement (lexical_declaration
  (variable_declarator name: (identifier) @name value: (_))) @definition.variable))

; Imports: `import d, {a as b} from "./m"`, `import * as ns from "m"`, `import x = require("m")`,
; `export {x} from "m"`, `require("m")`.
(import_statement source: (string (string_fragment) @import.module)) @import
(import_statement (import_clause (identifier) @import.name)) @import
(import_statement (import_clause (named_imports
  (import_specifier name: (identifier) @import.name !alias)))) @import
(import_statement (import_clause (named_imports
  (import_specifier name: (identifier) @import.name alias: (identifier) @import.alias)))) @import
(import_statement (import_clause (namespace_import (identifier) @import.alias))) @import
(import_statement (import_require_clause
  (identifier) @import.alias source: (string (string_fragment) @import.module))) @import
(export_statement source: (string (string_fragment) @import.module)) @import
((call_expression function: (identifier) @_require
  arguments: (arguments . (string (string_fragment) @import.module) .)) @import
  (#eq? @_require "require"))

[(identifier) (type_identifier) (property_identifier) (shorthand_property_identifier)] @identifier
