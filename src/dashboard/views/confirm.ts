/** The confirmation step of retry, cancel and delete: a real POST form, no script. */
export const confirm = `<h1>{{verb}} task {{id}}?</h1>
<p>{{label}} · <span class="status status-{{status}}">{{status}}</span> · queue {{queue}}</p>
<p>{{explanation}}</p>
<form method="post" action="{{action}}">
  <input type="hidden" name="_csrf" value="{{csrf}}">
  <button type="submit" class="{{#if danger}}danger{{/if}}">Yes, {{verbLower}} task {{id}}</button>
  <a class="button" href="{{backHref}}">No, go back</a>
</form>
`
