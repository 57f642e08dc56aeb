; Definitions: @definition.<kind> is the whole node, @name its name, @body where the signature ends.
(class_declaration name: (identifier) @name body: (_) @body) @definition.class
(class_declaration name: (identifier) @name
  [(superclass (_) @base) (super_interfaces (type_list (_) @base))] body: (_) @body) @definition.class
(interface_declaration name: (identifier) @name body: (_) @body) @definition.interface
(enum_declaration name: (identifier) @name body: (_) @body) @definition.enum
(record_declaration name: (identifier) @name body: (_) @body) @definition.class
(annotation_type_declaration name: (identifier) @name body: (_) @body) @definition.interface
(method_declaration type: (_) @returns name: (identifier) @name body: (_) @body) @definition.method
(method_declaration type: (_) @returns name: (identifier) @name !body) @definition.method
(constructor_declaration name: (identifier) @name body: (_) @body) @definition.method
; `static final` fields are the constants of Java.
((field_declaration (modifiers) @_mods declarator: (variable_declarator name: (identifier) @name))
  @definition.constant
  (#match? @_mods "static")
  (#match? @_mods "final"))

; Imports: the module is the qualified name as written; a wildcard import names "*".
(import_declaration (scoped_identifier) @import.module) @import
(import_declaration (identifier) @import.module) @import
(import_declaration (asterisk) @import.name) @import

[(identifier) (type_identifier)] @identifier
