; Definitions, comments and call sites in TypeScript and TSX. kg reads the captures by name:
;   @definition.<kind> is the whole definition, @name its name, @comment any comment,
;   @call the callee of a call (test calls such as describe/it/test are recognised from these in
;   test files), @call.arguments its arguments, @import an import statement. The rest is worked
;   out in src/parse/code.rs.

(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(function_signature name: (identifier) @name) @definition.function
(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(class_body (method_definition name: (_) @name) @definition.method)
(abstract_method_signature name: (_) @name) @definition.method
(method_signature name: (_) @name) @definition.method
(public_field_definition
  name: (_) @name
  value: [(arrow_function) (function_expression)]) @definition.method
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(internal_module name: (_) @name) @definition.namespace

; `const f = () => ...` and `const f = function () ...` are functions wherever they stand.
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

; Other consts only when exported.
(export_statement
  declaration: (lexical_declaration
    (variable_declarator name: (identifier) @name) @definition.const))

(comment) @comment

(call_expression function: (_) @call arguments: (_) @call.arguments)
(new_expression constructor: (_) @call)

; Imports, for call resolution: the whole statement, read in src/parse/code.rs.
(import_statement) @import
