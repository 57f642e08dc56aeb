; Definitions: @definition.<kind> is the whole node, @name its name, @body where the signature
; ends, @container the receiver type of a method.
(function_declaration name: (identifier) @name result: (_)? @returns body: (block) @body) @definition.function
(method_declaration
  receiver: (parameter_list (parameter_declaration
    type: [(type_identifier) @container
           (pointer_type (type_identifier) @container)
           (generic_type type: (type_identifier) @container)
           (pointer_type (generic_type type: (type_identifier) @container))]))
  name: (field_identifier) @name result: (_)? @returns body: (block) @body) @definition.method
(type_spec name: (type_identifier) @name type: (struct_type (field_declaration_list) @body)) @definition.struct
; Embedded fields promote their methods: they are the struct's bases (one match each).
(type_spec name: (type_identifier) @name
  type: (struct_type (field_declaration_list (field_declaration !name type: (_) @base) ) @body)) @definition.struct
(type_spec name: (type_identifier) @name
  type: (interface_type (type_elem (_) @base))) @definition.interface
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
; An interface's methods: what `x.` reaches on a value of that interface type.
(type_spec name: (type_identifier) @container
  type: (interface_type (method_elem name: (field_identifier) @name result: (_)? @returns) @definition.method))
(type_spec name: (type_identifier) @name
  type: [(type_identifier) (qualified_type) (pointer_type) (slice_type) (map_type) (array_type)
         (function_type) (channel_type) (generic_type)]) @definition.type
(type_alias name: (type_identifier) @name type: (_) @base) @definition.type
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.variable))

; Imports: `import "fmt"`, `import m "a/b/math"` (the alias is the local package name).
(import_spec name: (_) @import.alias path: (interpreted_string_literal) @import.module) @import
(import_spec !name path: (interpreted_string_literal) @import.module) @import

[(identifier) (type_identifier) (field_identifier) (package_identifier)] @identifier
