; Type inference (infer.py): where a name gets a type. Captures:
;   @bind.name   a `let` binding or parameter, with @bind.type (its declared type, a struct
;                literal's type) or @bind.call (the callee: `Foo::new`, `make`, `x.build`; `?`
;                and `&` are seen through);
;   @field.name  a field of the struct around it, with @field.type.
; `self` is bound to the type of the impl block around it in infer.py.
;   @bind.value  with @bind.name: a local holding another's attribute or another local,
;                typed as that expression in the same scope (never on fields).
(let_declaration pattern: (identifier) @bind.name type: (_) @bind.type)
(let_declaration pattern: (identifier) @bind.name value: (call_expression function: (_) @bind.call))
(let_declaration pattern: (identifier) @bind.name value: (try_expression (call_expression function: (_) @bind.call)))
(let_declaration pattern: (identifier) @bind.name value: (struct_expression name: (_) @bind.type))
(let_declaration pattern: (identifier) @bind.name
  value: (reference_expression value: (struct_expression name: (_) @bind.type)))
(parameter pattern: (identifier) @bind.name type: (_) @bind.type)
(field_declaration name: (field_identifier) @field.name type: (_) @field.type)
(let_declaration pattern: (identifier) @bind.name value: (field_expression) @bind.value)
(let_declaration pattern: (identifier) @bind.name
  value: (reference_expression value: (field_expression) @bind.value))
; `let cur1 = cur;`, `let cur2 = if c { .. } else { cur1 };`: another local's type.
(let_declaration pattern: (identifier) @bind.name value: (identifier) @bind.value)
(let_declaration pattern: (identifier) @bind.name
  value: (if_expression alternative: (else_clause (block (identifier) @bind.value .))))
; `for x in xs.iter()`: the sequence iterated over (elements.py).
(for_expression pattern: (identifier) @bind.name value: (_) @bind.items)
(let_declaration pattern: (identifier) @bind.name value: (index_expression . (_) @bind.items))
(let_declaration pattern: (identifier) @bind.name
  value: (reference_expression value: (index_expression . (_) @bind.items)))
((for_expression pattern: (tuple_pattern . (_) . (identifier) @bind.name .)
   value: (call_expression function: (field_expression value: (_) @bind.items field: (field_identifier) @_enumerate)))
  (#eq? @_enumerate "enumerate"))
; `if let Some(node) = stack.pop() {`, `while let Ok(v) = parse(s) {`: what the call gives,
; unwrapped (typenames strips Option and Result), in that block (@bind.until).
((if_expression
    condition: (let_condition
      pattern: (tuple_struct_pattern type: (identifier) @_wrap . (identifier) @bind.name .)
      value: (call_expression function: (_) @bind.call))
    consequence: (block) @bind.until)
  (#match? @_wrap "^(Some|Ok)$"))
((while_expression
    condition: (let_condition
      pattern: (tuple_struct_pattern type: (identifier) @_wrap . (identifier) @bind.name .)
      value: (call_expression function: (_) @bind.call))
    body: (block) @bind.until)
  (#match? @_wrap "^(Some|Ok)$"))
