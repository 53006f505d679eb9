/** The login form of a dashboard that has a token. */
export const login = `<h1>Log in</h1>
{{#if problem}}<p class="problem" role="alert">{{problem}}</p>{{/if}}
<form method="post" action="{{base}}/login">
  <input type="hidden" name="_csrf" value="{{csrf}}">
  <input type="hidden" name="next" value="{{next}}">
  <label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
  <button type="submit">Log in</button>
</form>
<p class="muted">The token was printed when the dashboard started, or set with <code>--token</code>.</p>
`
