; id: json-parse-in-loop
; message: `{{match}}` parses the same kind of text again on every iteration: parse once before the loop, or cache the parsed value
; severity: warning
; languages: javascript, typescript, tsx
; description: JSON.parse called directly in the body of a loop.
;
; A custom PerfLens rule is a tree-sitter query. The `; key: value` lines above are its header.
; The finding is placed on the `@match` capture, and `{{match}}` in the message is replaced by
; the text it captured. Silence one finding with `// perflens-ignore-next-line json-parse-in-loop`.

((_
   body: (statement_block
     [
       (lexical_declaration (variable_declarator value: (call_expression) @match))
       (variable_declaration (variable_declarator value: (call_expression) @match))
       (expression_statement (call_expression) @match)
       (expression_statement (assignment_expression right: (call_expression) @match))
     ])) @loop
 (#match? @loop "^(for|while|do)\\b")
 (#match? @match "^JSON\\.parse\\s*\\("))
