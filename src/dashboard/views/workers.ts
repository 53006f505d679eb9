/** Live workers, as their presence rows describe them. */
export const workers = `<h1>Workers</h1>
<table>
  <thead><tr><th>Host</th><th class="num">Pid</th><th>Uid</th><th>Queues</th><th class="num">Concurrency</th><th>Running</th><th>Started</th><th>Last heartbeat</th></tr></thead>
  <tbody>
  {{#each rows}}
  <tr>
    <td>{{host}}</td><td class="num">{{pid}}</td><td>{{uid}}</td><td>{{queues}}</td>
    <td class="num">{{concurrency}}</td>
    <td>{{#each running}}<a href="{{href}}">{{id}}</a> {{else}}<span class="muted">idle</span>{{/each}}</td>
    <td>{{startedAt}}</td><td>{{lastSeen}}</td>
  </tr>
  {{else}}
  <tr><td colspan="8" class="muted">No worker was seen in the last minute.</td></tr>
  {{/each}}
  </tbody>
</table>
`
