/** The task list: filters as a GET form, keyset paging by id. */
export const tasks = `<h1>Tasks</h1>
<form class="filters" method="get" action="{{base}}/tasks">
  <label>Status
    <select name="status">
      <option value="">any</option>
      {{#each statusOptions}}<option value="{{value}}"{{#if selected}} selected{{/if}}>{{value}}</option>{{/each}}
    </select>
  </label>
  <label>Queue <input name="queue" value="{{filters.queue}}" size="10"></label>
  <label>Target <input name="objectType" value="{{filters.objectType}}" size="12" placeholder="Order"></label>
  <label>Record id <input name="objectId" value="{{filters.objectId}}" size="8" placeholder="17"></label>
  <label>Action <input name="action" value="{{filters.action}}" size="16"></label>
  <button type="submit">Filter</button>
  <a class="button" href="{{base}}/tasks">Clear</a>
</form>
<table>
  <thead><tr><th class="num">Id</th><th>Task</th><th>Queue</th><th>Key</th><th>Status</th><th class="num">Priority</th><th class="num">Attempts</th><th>Scheduled (UTC)</th><th>Finished (UTC)</th><th class="error">Error</th></tr></thead>
  <tbody>
  {{#each rows}}
  <tr>
    <td class="num"><a href="{{href}}">{{id}}</a></td>
    <td><a href="{{href}}">{{label}}</a></td>
    <td>{{queue}}</td>
    <td>{{key}}</td>
    <td><span class="status status-{{status}}">{{status}}</span>{{#if waiting}}<br><small class="muted">{{waiting}}</small>{{/if}}</td>
    <td class="num">{{priority}}</td>
    <td class="num">{{attempts}}/{{maxAttempts}}</td>
    <td class="time">{{scheduledAt}}</td>
    <td class="time">{{finishedAt}}</td>
    <td>{{error}}</td>
  </tr>
  {{else}}
  <tr><td colspan="10" class="muted">No tasks match.</td></tr>
  {{/each}}
  </tbody>
</table>
<p>
  {{#if newestHref}}<a class="button" href="{{newestHref}}">« Newest</a>{{/if}}
  {{#if olderHref}}<a class="button" href="{{olderHref}}" rel="next">Older »</a>{{/if}}
</p>
`
