/** Counts per status and queue, paused queues, and the last hour as charts. */
export const overview = `<h1>Overview</h1>
<div class="cards">
  {{#each statuses}}
  <a class="card" href="{{href}}"><span class="status status-{{name}}">{{name}}</span><b>{{count}}</b></a>
  {{/each}}
</div>

<h2>Queues</h2>
<table>
  <thead><tr><th>Queue</th><th class="num">Pending</th><th class="num">Running</th><th class="num">Succeeded (1 h)</th><th class="num">Failed (1 h)</th><th>State</th><th>Limits</th><th></th></tr></thead>
  <tbody>
  {{#each queues}}
  <tr>
    <td><a href="{{href}}">{{name}}</a></td>
    <td class="num">{{pending}}</td><td class="num">{{running}}</td>
    <td class="num">{{succeeded}}</td><td class="num">{{failed}}</td>
    <td>{{#if paused}}<strong>paused</strong>{{else}}active{{/if}}</td>
    <td>{{limits}}</td>
    <td>
      <form class="inline" method="post" action="{{action}}">
        <input type="hidden" name="_csrf" value="{{../csrf}}">
        <button type="submit">{{#if paused}}Resume{{else}}Pause{{/if}}</button>
      </form>
    </td>
  </tr>
  {{else}}
  <tr><td colspan="8" class="muted">No queue has tasks yet.</td></tr>
  {{/each}}
  </tbody>
</table>

<h2>The last hour</h2>
{{#with throughput}}{{> chart}}{{/with}}
{{#with depth}}{{> chart}}{{/with}}
<p class="muted">Throughput: tasks finished per 5 minutes. Queue depth: tasks due and not yet finished at each moment.</p>
`
