; Definitions: @definition.<kind> is the whole node, @name its name, @body (optional) where the
; signature ends. A function inside a class body is reported once, as a method (the more specific
; kind wins in extract.py).
(class_definition name: (identifier) @name body: (block) @body) @definition.class

(function_definition name: (identifier) @name return_type: (_)? @returns body: (block) @body) @definition.function
; Base classes, one match each (extract.py merges them): for methods inherited from other files.
(class_definition name: (identifier) @name superclasses: (argument_list [(identifier) (attribute) (subscript)] @base)
  body: (block) @body) @definition.class

(class_definition
  body: (block
    [(function_definition name: (identifier) @name return_type: (_)? @returns body: (block) @body) @definition.method
     (decorated_definition
       definition: (function_definition name: (identifier) @name return_type: (_)? @returns body: (block) @body)
       @definition.method)]))

; Module-level assignments: ALL_CAPS names become constants in extract.py.
(module (expression_statement (assignment left: (identifier) @name type: (type)? @returns) @definition.variable))
(module (expression_statement (assignment left: (pattern_list (identifier) @name)) @definition.variable))
; `kernel32 = cast(_Kernel32, ffi.dlopen(...))` (trio): the value is declared a _Kernel32.
((module (expression_statement (assignment left: (identifier) @name
    right: (call function: (_) @_cast arguments: (argument_list . (_) @returns))) @definition.variable))
  (#match? @_cast "^(typing\\.|t\\.)?cast$"))

; Imports: `import a.b as c`, `from .m import x as y, z`, `from m import *`.
(import_statement name: (dotted_name) @import.module) @import
(import_statement
  name: (aliased_import name: (dotted_name) @import.module alias: (identifier) @import.alias)) @import
(import_from_statement module_name: (_) @import.module) @import
(import_from_statement name: (dotted_name) @import.name) @import
(import_from_statement
  name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.alias)) @import
(import_from_statement (wildcard_import) @import.name) @import

(identifier) @identifier
