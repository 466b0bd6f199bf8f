; Definitions, comments and call sites in Rust. kg reads the captures by name:
;   @definition.<kind> is the whole definition, @name its name (impls are named from their type),
;   @comment any comment, @call the callee of a call, @tokens a macro's arguments, @import a
;   use tree. Everything else (qualified names, which definition a comment belongs to, test
;   attributes, calls in macro arguments, expanding use trees) is worked out in src/parse/code.rs.

(mod_item name: (identifier) @name) @definition.module
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(struct_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(union_item name: (type_identifier) @name) @definition.union
(trait_item name: (type_identifier) @name) @definition.trait
(impl_item) @definition.impl
(type_item name: (type_identifier) @name) @definition.type
(const_item name: (identifier) @name) @definition.const
(static_item name: (identifier) @name) @definition.static
(macro_definition name: (identifier) @name) @definition.macro

(line_comment) @comment
(block_comment) @comment

(call_expression function: (identifier) @call)
(call_expression function: (scoped_identifier) @call)
(call_expression function: (field_expression field: (field_identifier) @call))
(call_expression function: (generic_function function: (_) @call))

; Calls inside macro arguments (assert!, vec!, format!) are only tokens to tree-sitter: in a
; macro's token tree, at any depth, an identifier whose next named sibling is a token tree is
; taken as a call (found in src/parse/code.rs). Attribute arguments such as
; `cfg(any(unix))` are token trees too, but hold no calls.
(macro_invocation (token_tree) @tokens)

; Imports, for call resolution: the use tree, expanded in src/parse/code.rs.
(use_declaration argument: (_) @import)
