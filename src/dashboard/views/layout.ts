/**
 * The page frame. The page itself comes in as a partial (`view`), not as an
 * HTML string, so no template needs a triple-stash anywhere.
 */
export const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · sequelize-async</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
  header { background: #24303d; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.2rem; align-items: center; }
  header a { color: #d5e3f0; text-decoration: none; }
  header a.here { color: #fff; font-weight: 600; }
  header form { margin-left: auto; }
  header button { background: transparent; color: #d5e3f0; border-color: #5b6b7b; }
  main { padding: 1rem 1.2rem; max-width: 72rem; }
  h1 { font-size: 1.3rem; margin: .2rem 0 1rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
  table { border-collapse: collapse; background: #fff; width: 100%; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
  th { background: #eef1f4; font-weight: 600; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  table.fields { width: auto; min-width: 32rem; }
  pre { background: #fff; border: 1px solid #e3e6ea; padding: .6rem; overflow: auto; white-space: pre-wrap; word-break: break-word; }
  .status { padding: 0 .4rem; border-radius: .3rem; font-size: .85em; }
  .status-pending { background: #e7eefc; } .status-running { background: #fff3c4; }
  .status-succeeded { background: #dcf5e3; } .status-failed { background: #fbdcdc; }
  .status-cancelled { background: #e6e6e6; }
  .cards { display: flex; gap: .8rem; flex-wrap: wrap; }
  .card { background: #fff; border: 1px solid #e3e6ea; padding: .6rem 1rem; min-width: 7rem; }
  a.card { color: inherit; text-decoration: none; }
  .card b { display: block; font-size: 1.4rem; }
  .notice { background: #dcf5e3; border: 1px solid #9bd3ad; padding: .5rem .8rem; }
  .problem { background: #fbdcdc; border: 1px solid #e09a9a; padding: .5rem .8rem; }
  form.inline { display: inline; }
  .filters { display: flex; gap: .6rem; flex-wrap: wrap; align-items: end; margin-bottom: .8rem; }
  .filters label { display: flex; flex-direction: column; font-size: .85em; }
  button, .button { font: inherit; padding: .2rem .7rem; border: 1px solid #8a96a3; background: #fff; border-radius: .25rem; cursor: pointer; color: inherit; text-decoration: none; }
  button.danger { border-color: #b33; color: #b33; }
  svg { background: #fff; border: 1px solid #e3e6ea; }
  .muted { color: #6b7682; }
  .time { white-space: nowrap; }
  th.error { min-width: 14rem; }
</style>
</head>
<body>
<header>
  <strong>sequelize-async</strong>
  {{#each nav}}<a href="{{href}}"{{#if here}} class="here" aria-current="page"{{/if}}>{{label}}</a>{{/each}}
  {{#if showLogout}}
  <form method="post" action="{{base}}/logout">
    <input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit">Log out</button>
  </form>
  {{/if}}
</header>
<main>
{{#if notice}}<p class="notice" role="status">{{notice}}</p>{{/if}}
{{> (lookup . "view") }}
</main>
</body>
</html>
`
