/** Not found, refused and failed requests. */
export const problem = `<h1>{{heading}}</h1>
<p class="problem" role="alert">{{message}}</p>
<p><a href="{{base}}/">Back to the overview</a></p>
`
