; Type inference (infer.py): where a name gets a type. Captures:
;   @bind.name   a variable or parameter, with @bind.type (an annotation) or @bind.call (the
;                callee of the call whose result it holds: a class, a function, `obj.method`);
;   @field.name  an attribute of the enclosing class, with @field.type or @field.call, or
;                @field.copy: a name assigned to it (`self.ctx = ctx`), which gives it that
;                name's type when a parameter or variable of the same function has one.
; The receiver (`self`, the first parameter of a method) is bound in infer.py.
;   @bind.value  with @bind.name: a local holding another's attribute or another local,
;                typed as that expression in the same scope (never on fields).
(assignment left: (identifier) @bind.name type: (type) @bind.type)
((assignment left: (identifier) @bind.name right: (call function: (_) @bind.call))
  (#not-match? @bind.call "^(typing\\.|t\\.)?cast$"))
; `x = cast(Cls, value)`, `self.x = typing.cast(Cls, value)`: declared a Cls.
((assignment left: (identifier) @bind.name
    right: (call function: (_) @_cast arguments: (argument_list . (_) @bind.type)))
  (#match? @_cast "^(typing\\.|t\\.)?cast$"))
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @field.name)
    right: (call function: (_) @_cast arguments: (argument_list . (_) @field.type)))
  (#eq? @_self "self")
  (#match? @_cast "^(typing\\.|t\\.)?cast$"))
(assignment left: (identifier) @bind.name right: (await (call function: (_) @bind.call)))
(with_item value: (as_pattern (call function: (_) @bind.call) alias: (as_pattern_target (identifier) @bind.name)))
(typed_parameter (identifier) @bind.name type: (type) @bind.type)
(typed_default_parameter name: (identifier) @bind.name type: (type) @bind.type)

((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @field.name) type: (type) @field.type)
  (#eq? @_self "self"))
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @field.name)
  right: (call function: (_) @field.call))
  (#eq? @_self "self")
  (#not-match? @field.call "^(typing\\.|t\\.)?cast$"))
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @field.name)
  right: (identifier) @field.copy)
  (#eq? @_self "self"))
(class_definition body: (block (expression_statement (assignment left: (identifier) @field.name type: (type) @field.type))))
; A class attribute holding a class or an instance: rq's `job_class = Job` (then
; `self.job_class.fetch(id)`, a classmethod giving a Job), `lock = Lock()`.
((class_definition body: (block (expression_statement
    (assignment left: (identifier) @field.name right: (identifier) @field.type))))
  (#match? @field.type "^_*[A-Z][a-z]"))
(class_definition body: (block (expression_statement
  (assignment left: (identifier) @field.name right: (call function: (_) @field.call)))))
(assignment left: (identifier) @bind.name right: (attribute) @bind.value)
; `node = start`: another local's type (a class's name gives none: `cls = Job` is no Job).
((assignment left: (identifier) @bind.name right: (identifier) @bind.value)
  (#match? @bind.value "^_*[a-z]"))
; `self.console = console or get_console()`, `self.x = x if x is not None else X()`: the parameter's type.
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @field.name)
  right: (boolean_operator left: (identifier) @field.copy))
  (#eq? @_self "self"))
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @field.name)
  right: (conditional_expression . (identifier) @field.copy))
  (#eq? @_self "self"))
; `if isinstance(node, Call):` (or `elif`): `node` is a Call in that block (@bind.until);
; `assert isinstance(node, Call)`: from there on.
((if_statement
    condition: (call function: (identifier) @_isinstance
      arguments: (argument_list . (identifier) @bind.name . [(identifier) (attribute)] @bind.type .))
    consequence: (block) @bind.until)
  (#eq? @_isinstance "isinstance"))
((elif_clause
    condition: (call function: (identifier) @_isinstance
      arguments: (argument_list . (identifier) @bind.name . [(identifier) (attribute)] @bind.type .))
    consequence: (block) @bind.until)
  (#eq? @_isinstance "isinstance"))
; `if isinstance(node, Call) and node.args:`, `elif node and isinstance(node, Name):`: the same.
((if_statement
    condition: (boolean_operator left: (call function: (identifier) @_isinstance
        arguments: (argument_list . (identifier) @bind.name . [(identifier) (attribute)] @bind.type .)) operator: "and")
    consequence: (block) @bind.until)
  (#eq? @_isinstance "isinstance"))
((if_statement
    condition: (boolean_operator operator: "and" right: (call function: (identifier) @_isinstance
        arguments: (argument_list . (identifier) @bind.name . [(identifier) (attribute)] @bind.type .)))
    consequence: (block) @bind.until)
  (#eq? @_isinstance "isinstance"))
((elif_clause
    condition: (boolean_operator left: (call function: (identifier) @_isinstance
        arguments: (argument_list . (identifier) @bind.name . [(identifier) (attribute)] @bind.type .)) operator: "and")
    consequence: (block) @bind.until)
  (#eq? @_isinstance "isinstance"))
((elif_clause
    condition: (boolean_operator operator: "and" right: (call function: (identifier) @_isinstance
        arguments: (argument_list . (identifier) @bind.name . [(identifier) (attribute)] @bind.type .)))
    consequence: (block) @bind.until)
  (#eq? @_isinstance "isinstance"))
; `if not isinstance(node, Call): raise ...` (or return, continue, break): `node` is a Call
; after that statement, to the end of its block (@bind.after).
((if_statement
    condition: (not_operator argument: (call function: (identifier) @_isinstance
      arguments: (argument_list . (identifier) @bind.name . [(identifier) (attribute)] @bind.type .)))
    consequence: (block [(return_statement) (raise_statement) (continue_statement) (break_statement)] .)
    !alternative) @bind.after
  (#eq? @_isinstance "isinstance"))
((assert_statement
    (call function: (identifier) @_isinstance
      arguments: (argument_list . (identifier) @bind.name . [(identifier) (attribute)] @bind.type .)))
  (#eq? @_isinstance "isinstance"))
; `except ParseError as exc:`: the exception class (not a tuple of them).
(except_clause value: (as_pattern [(identifier) (attribute)] @bind.type
  alias: (as_pattern_target (identifier) @bind.name)))
; Loop variables: the sequence iterated over (elements.py gives its element type).
(for_statement left: (identifier) @bind.name right: (_) @bind.items)
(for_in_clause left: (identifier) @bind.name right: (_) @bind.items)
(assignment left: (identifier) @bind.name right: (subscript) @bind.items)
; `for name, cmd in self.commands.items()`: a mapping's value (elements.py).
((for_statement left: (pattern_list . (identifier) . (identifier) @bind.name .)
   right: (call function: (attribute attribute: (identifier) @_items)) @bind.items)
  (#eq? @_items "items"))
((for_statement left: (pattern_list . (identifier) . (identifier) @bind.name .)
   right: (call function: (identifier) @_enumerate arguments: (argument_list . (_) @bind.items)))
  (#eq? @_enumerate "enumerate"))
