; Definitions: @definition.<kind> is the whole node, @name its name, @body where the signature ends.
(function_definition
  declarator: [(function_declarator declarator: (identifier) @name)
               (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))]
  body: (_) @body) @definition.function
; Prototypes matter: in a header they are the only definition another file can see.
(translation_unit (declaration
  declarator: [(function_declarator declarator: (identifier) @name)
               (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))])
  @definition.function)
(struct_specifier name: (type_identifier) @name body: (_) @body) @definition.struct
(union_specifier name: (type_identifier) @name body: (_) @body) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_) @body) @definition.enum
(type_definition declarator: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.macro
(translation_unit (declaration declarator: (init_declarator declarator: (identifier) @name))
  @definition.variable)

; Includes: the path as written, with its quotes or angle brackets (local vs system).
(preproc_include path: (_) @import.module) @import

[(identifier) (type_identifier) (field_identifier)] @identifier
