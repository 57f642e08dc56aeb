; Type inference (infer.py): where a name gets a type. Captures:
;   @bind.name   a variable or parameter, with @bind.type (an annotation, `new X`, `as X`) or
;                @bind.call (the callee of the call whose result it holds);
;   @field.name  a property of the enclosing class, with @field.type or @field.call, or
;                @field.copy: a name assigned to it (`this.ctx = ctx`), which gives it that
;                name's type when a parameter or variable of the same function has one.
; `this` is bound to the enclosing class in infer.py.
;   @bind.value  with @bind.name: a local holding another's attribute or another local,
;                typed as that expression in the same scope (never on fields).
(variable_declarator name: (identifier) @bind.name type: (type_annotation (_) @bind.type))
(variable_declarator name: (identifier) @bind.name value: (new_expression constructor: (_) @bind.type))
(variable_declarator name: (identifier) @bind.name value: (call_expression function: (_) @bind.call))
(variable_declarator name: (identifier) @bind.name value: (await_expression (call_expression function: (_) @bind.call)))
(variable_declarator name: (identifier) @bind.name value: (non_null_expression (call_expression function: (_) @bind.call)))
(variable_declarator name: (identifier) @bind.name value: (as_expression (_) (_) @bind.type))
(required_parameter pattern: (identifier) @bind.name type: (type_annotation (_) @bind.type))
(optional_parameter pattern: (identifier) @bind.name type: (type_annotation (_) @bind.type))

(public_field_definition name: [(property_identifier) (private_property_identifier)] @field.name type: (type_annotation (_) @field.type))
(public_field_definition name: [(property_identifier) (private_property_identifier)] @field.name value: (new_expression constructor: (_) @field.type))
(required_parameter (accessibility_modifier) pattern: (identifier) @field.name type: (type_annotation (_) @field.type))
(assignment_expression left: (member_expression object: (this) property: [(property_identifier) (private_property_identifier)] @field.name)
  right: (new_expression constructor: (_) @field.type))
(assignment_expression left: (member_expression object: (this) property: [(property_identifier) (private_property_identifier)] @field.name)
  right: (call_expression function: (_) @field.call))
(assignment_expression left: (member_expression object: (this) property: [(property_identifier) (private_property_identifier)] @field.name)
  right: (identifier) @field.copy)
(variable_declarator name: (identifier) @bind.name value: (member_expression) @bind.value)
(variable_declarator name: (identifier) @bind.name value: (identifier) @bind.value)
; Loop variables and array callbacks' first parameter: the array walked (elements.py).
(for_in_statement left: (identifier) @bind.name "of" right: (_) @bind.items)
((call_expression
   function: (member_expression object: (_) @bind.items property: (property_identifier) @_walk)
   arguments: (arguments . (arrow_function parameter: (identifier) @bind.name)))
  (#match? @_walk "^(forEach|map|flatMap|filter|find|findLast|findIndex|some|every|sort)$"))
((call_expression
   function: (member_expression object: (_) @bind.items property: (property_identifier) @_walk)
   arguments: (arguments . (arrow_function
     parameters: (formal_parameters . (required_parameter pattern: (identifier) @bind.name)))))
  (#match? @_walk "^(forEach|map|flatMap|filter|find|findLast|findIndex|some|every)$"))
; `const q = queries[0]`: an element of the array (elements.py).
(variable_declarator name: (identifier) @bind.name value: (subscript_expression object: (_) @bind.items))
; `if (node instanceof Mark) {`: `node` is a Mark in that block (@bind.until).
(if_statement
  condition: (parenthesized_expression
    (binary_expression left: (identifier) @bind.name operator: "instanceof"
      right: [(identifier) (member_expression)] @bind.type))
  consequence: (statement_block) @bind.until)
