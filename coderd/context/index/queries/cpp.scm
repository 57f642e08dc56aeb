; Definitions: @definition.<kind> is the whole node, @name its name, @body where the signature
; ends, @container the class of an out-of-line method (`void Foo::bar() {}`).
(function_definition
  declarator: [(function_declarator declarator: (identifier) @name)
               (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
               (reference_declarator (function_declarator declarator: (identifier) @name))]
  body: (_) @body) @definition.function
(function_definition
  declarator: [(function_declarator
                 declarator: (qualified_identifier scope: (_) @container name: (_) @name))
               (pointer_declarator declarator: (function_declarator
                 declarator: (qualified_identifier scope: (_) @container name: (_) @name)))
               (reference_declarator (function_declarator
                 declarator: (qualified_identifier scope: (_) @container name: (_) @name)))]
  body: (_) @body) @definition.method
(field_declaration_list
  (function_definition declarator: (function_declarator declarator: (_) @name) body: (_) @body)
  @definition.method)
(field_declaration_list
  (template_declaration
    (function_definition declarator: (function_declarator declarator: (_) @name) body: (_) @body)
    @definition.method))
(field_declaration_list
  (field_declaration declarator: (function_declarator declarator: (_) @name)) @definition.method)
(field_declaration_list
  (declaration declarator: (function_declarator declarator: (_) @name)) @definition.method)
; Prototypes matter: in a header they are the only definition another file can see.
(translation_unit
  (declaration declarator: [(function_declarator declarator: (identifier) @name)
                            (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))])
  @definition.function)
(namespace_definition body: (declaration_list
  (declaration declarator: [(function_declarator declarator: (identifier) @name)
                            (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))])
  @definition.function))
(class_specifier name: (type_identifier) @name body: (_) @body) @definition.class
(struct_specifier name: (type_identifier) @name body: (_) @body) @definition.struct
(union_specifier name: (type_identifier) @name body: (_) @body) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_) @body) @definition.enum
(type_definition declarator: (type_identifier) @name) @definition.type
(alias_declaration name: (type_identifier) @name) @definition.type
(namespace_definition name: (_) @name body: (_) @body) @definition.module
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.macro

; Includes: the path as written, with its quotes or angle brackets (local vs system).
(preproc_include path: (_) @import.module) @import

[(identifier) (type_identifier) (field_identifier) (namespace_identifier)] @identifier
