// A stand-in for the system browser in tests ($BROWSER): opens the sign-in URL
// and submits the fake's form_post answer back to the app's loopback redirect,
// as a real browser would. Usage: node browser.mjs <url>
const page = await (await fetch(process.argv[2])).text();
const action = /<form method="POST" action="([^"]+)"/.exec(page)?.[1];
if (!action) process.exit(0);
const form = new URLSearchParams();
for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) form.set(m[1], m[2].replace(/&quot;/g, '"'));
await fetch(action.replace(/&quot;/g, '"'), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() }).catch(() => undefined);
