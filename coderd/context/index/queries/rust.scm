; Definitions: @definition.<kind> is the whole node, @name its name, @body where the signature
; ends, @container the type an impl block is for (or the trait a default method belongs to).
(function_item name: (identifier) @name return_type: (_)? @returns body: (_) @body) @definition.function
(function_signature_item name: (identifier) @name return_type: (_)? @returns) @definition.function
(impl_item type: (_) @container
  body: (declaration_list (function_item name: (identifier) @name return_type: (_)? @returns body: (_) @body)
    @definition.method))
(trait_item name: (type_identifier) @container
  body: (declaration_list [(function_item name: (identifier) @name return_type: (_)? @returns body: (_) @body)
                           (function_signature_item name: (identifier) @name return_type: (_)? @returns)]
    @definition.method))
(struct_item name: (type_identifier) @name body: (_) @body) @definition.struct
(struct_item name: (type_identifier) @name !body) @definition.struct
(union_item name: (type_identifier) @name body: (_) @body) @definition.struct
(enum_item name: (type_identifier) @name body: (_) @body) @definition.enum
(trait_item name: (type_identifier) @name body: (_) @body) @definition.trait
; An alias's target is its base: `type ParseStream<'a> = &'a ParseBuffer<'a>` has its methods.
(type_item name: (type_identifier) @name type: (_) @base) @definition.type
; A trait's associated type: its first bound is what a value of it has (rayon's
; `type Iter: ParallelIterator<Item = Self::Item>`, which `fn into_par_iter(self) -> Self::Iter`
; returns: typed.py `results_of`).
(associated_type name: (type_identifier) @name bounds: (trait_bounds . (_) @base)) @definition.type
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(macro_definition name: (identifier) @name) @definition.macro
(mod_item name: (identifier) @name body: (_) @body) @definition.module
; `impl Trait for Type`: the trait's default methods are the type's too (typed.py follows it).
(impl_item trait: (_) @name type: (_) @container body: (_) @body) @definition.impl

; Imports: `use a::b::{c, d as e};` (the module is the whole argument as written; the names are
; its leaves) and `mod util;` (a file module).
(use_declaration argument: (_) @import.module) @import
(use_declaration argument: (identifier) @import.name)
(use_declaration argument: (scoped_identifier name: (identifier) @import.name))
(use_declaration argument: (use_as_clause path: [(identifier) @import.name
                                                 (scoped_identifier name: (identifier) @import.name)]
                                          alias: (identifier) @import.alias))
(use_list (identifier) @import.name)
(use_list (scoped_identifier name: (identifier) @import.name))
(use_list (use_as_clause path: [(identifier) @import.name
                                (scoped_identifier name: (identifier) @import.name)]
                         alias: (identifier) @import.alias))
(mod_item name: (identifier) @import.module !body) @import

[(identifier) (type_identifier) (field_identifier)] @identifier
