/** One task: its fields, arguments, result and every attempt's error. */
export const task = `<h1>Task {{id}}: {{label}}</h1>
<p>
  {{#if canRetry}}<a class="button" href="{{confirmHref}}?do=retry">Retry</a>{{/if}}
  {{#if canCancel}}<a class="button" href="{{confirmHref}}?do=cancel">Cancel</a>{{/if}}
  {{#if canDelete}}<a class="button danger" href="{{confirmHref}}?do=delete">Delete</a>{{/if}}
</p>
<table class="fields">
  <tbody>
  {{#each fields}}<tr><th>{{name}}</th><td>{{value}}</td></tr>{{/each}}
  </tbody>
</table>
<p><a class="related" href="{{relatedHref}}">All tasks of {{relatedLabel}}</a></p>
<h2>Arguments</h2>
<pre>{{args}}</pre>
{{#if result}}<h2>Result</h2>
<pre>{{result}}</pre>{{/if}}
{{#if error}}<h2>Error</h2>
<pre>{{error}}</pre>{{/if}}
<h2>Attempts</h2>
{{#each attemptErrors}}
<h3>Attempt {{attempt}} at {{at}}: {{name}}</h3>
<pre>{{message}}</pre>
{{#if stack}}<pre>{{stack}}</pre>{{/if}}
{{else}}
<p class="muted">No failed attempts.</p>
{{/each}}
`
