/** The recurring tasks with their next run times. */
export const schedules = `<h1>Recurring tasks</h1>
<table>
  <thead><tr><th>Key</th><th>Cron</th><th>Time zone</th><th>Task</th><th>Queue</th><th class="num">Priority</th><th>Next runs</th></tr></thead>
  <tbody>
  {{#each rows}}
  <tr>
    <td>{{key}}</td><td><code>{{cron}}</code></td><td>{{timezone}}</td>
    <td>{{target}}#{{action}}({{args}})</td><td>{{queue}}</td><td class="num">{{priority}}</td>
    <td>{{#each nextRuns}}{{this}}<br>{{/each}}</td>
  </tr>
  {{else}}
  <tr><td colspan="7" class="muted">No recurring tasks are declared (installAsync's <code>recurring</code> option).</td></tr>
  {{/each}}
  </tbody>
</table>
`
