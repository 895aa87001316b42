; Nodes the JavaScript/TypeScript rules look at, collected in one pass.
(call_expression) @call
(new_expression) @new
(import_statement) @import
(variable_declarator) @declarator
[(function_declaration) (function_expression) (arrow_function) (method_definition) (generator_function_declaration) (generator_function)] @function
(class_body) @classBody
(assignment_expression left: (member_expression object: (this))) @thisAssign
