; Type inference (infer.py): where a name gets a type. Captures:
;   @bind.name   a variable or parameter (receivers included), with @bind.type (its declared
;                type, a composite literal's type) or @bind.call (the callee whose first result
;                it holds: `v := pkg.New()`, `x, err := c.Find()`);
;   @field.name  a field of the struct around it, with @field.type.
;   @bind.value  with @bind.name: a local holding another's attribute or another local,
;                typed as that expression in the same scope (never on fields).
(short_var_declaration left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (call_expression function: (_) @bind.call)))
(short_var_declaration left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (composite_literal type: (_) @bind.type)))
(short_var_declaration left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (unary_expression operand: (composite_literal type: (_) @bind.type))))
; `vd := v.pool.Get().(*validate)`, `t, ok := x.(T)`: a type assertion says the type.
(short_var_declaration left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (type_assertion_expression type: (_) @bind.type)))
(var_spec name: (identifier) @bind.name type: (_) @bind.type)
(var_spec name: (identifier) @bind.name value: (expression_list . (call_expression function: (_) @bind.call)))
(parameter_declaration name: (identifier) @bind.name type: (_) @bind.type)
(field_declaration name: (field_identifier) @field.name type: (_) @field.type)
(short_var_declaration left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (selector_expression) @bind.value))
(short_var_declaration left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (identifier) @bind.value))
; `for _, x := range xs`: the slice ranged over (elements.py).
(range_clause left: (expression_list (_) . (identifier) @bind.name) right: (_) @bind.items)
(short_var_declaration left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (index_expression) @bind.items))
(short_var_declaration left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (unary_expression operand: (index_expression) @bind.items)))
; `switch v := x.(type) { case *Tree: ... }`: `v` is a *Tree in that case (@bind.until), one
; type per case (`case A, B:` leaves `v` as it was).
(type_switch_statement alias: (expression_list (identifier) @bind.name)
  (type_case . type: (_) @bind.type . (statement_list)) @bind.until)
(type_switch_statement alias: (expression_list (identifier) @bind.name)
  (type_case . type: (_) @bind.type .) @bind.until)
