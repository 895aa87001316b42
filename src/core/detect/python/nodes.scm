; Nodes the Python rules look at, collected in one pass.
(call) @call
(import_statement) @import
(import_from_statement) @import
(function_definition) @function
(class_definition) @class
(assignment) @assignment
(with_item) @with
(lambda) @lambda
[(for_statement) (list_comprehension) (set_comprehension) (dictionary_comprehension) (generator_expression)] @loop
