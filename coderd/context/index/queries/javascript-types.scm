; Type inference (infer.py), as typescript-types.scm without annotations: `new X()` and calls.
;   @bind.value  with @bind.name: a local holding another's attribute or another local,
;                typed as that expression in the same scope (never on fields).
(variable_declarator name: (identifier) @bind.name value: (new_expression constructor: (_) @bind.type))
(variable_declarator name: (identifier) @bind.name value: (call_expression function: (_) @bind.call))
(variable_declarator name: (identifier) @bind.name value: (await_expression (call_expression function: (_) @bind.call)))
(assignment_expression left: (member_expression object: (this) property: [(property_identifier) (private_property_identifier)] @field.name)
  right: (new_expression constructor: (_) @field.type))
(assignment_expression left: (member_expression object: (this) property: [(property_identifier) (private_property_identifier)] @field.name)
  right: (call_expression function: (_) @field.call))
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
     parameters: (formal_parameters . (identifier) @bind.name))))
  (#match? @_walk "^(forEach|map|flatMap|filter|find|findLast|findIndex|some|every)$"))
; `const q = queries[0]`: an element of the array (elements.py).
(variable_declarator name: (identifier) @bind.name value: (subscript_expression object: (_) @bind.items))
; `if (node instanceof Mark) {`: `node` is a Mark in that block (@bind.until).
(if_statement
  condition: (parenthesized_expression
    (binary_expression left: (identifier) @bind.name operator: "instanceof"
      right: [(identifier) (member_expression)] @bind.type))
  consequence: (statement_block) @bind.until)
