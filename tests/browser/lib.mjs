// Helpers shared by the browser tests, which drive Debian's Chromium with
// playwright-core (all but sanitize.mjs against the real curatord):
// cmocka-style result lines, a free port of 127.0.0.1, waiting on a
// condition, the fixed password and its hash, Chromium's flags, desktop
// and phone screenshots with the phone's sideways-scrolling check, and a
// watch on a browser context (console messages, responses without a
// Content-Security-Policy, requests to anything but our daemons).
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const PASSWORD = 'browser test password';
// crypto_pwhash_str (argon2id, interactive limits) of PASSWORD, written
// with the sqlite3 shell as `curator user password` would store it (no
// hashing per run: it is slow on a loaded machine).
export const HASH = '$argon2id$v=19$m=65536,t=2,p=1$rOqPvqaBw6AY6UzMYA6mdg$'
    + 'tguUF1AoNTMURU/IoYrY/TS8Idvvi7/z9S8XOm5SgIk';

// Chromium as the tests run it: headless, nothing fetched on its own.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'];

let passed = 0;
const failures = [];

// One result line, as cmocka prints it (scripts/run-tests.sh reads them).
export function check(name, ok, detail) {
    if (ok) {
        passed++;
        console.log(`[       OK ] ${name}`);
    } else {
        failures.push(name);
        console.log(`[  FAILED  ] ${name}${detail ? `: ${detail}` : ''}`);
    }
    return ok;
}

// The closing lines, and the exit status.
export function summary() {
    console.log(`[==========] ${passed + failures.length} test(s) run.`);
    console.log(`[  PASSED  ] ${passed} test(s).`);
    if (failures.length) {
        console.log(`[  FAILED  ] ${failures.length} test(s), listed below:`);
        for (const f of failures)
            console.log(`[  FAILED  ] ${f}`);
    }
    process.exitCode = failures.length ? 1 : 0;
}

export const sleep = ms => new Promise(r => setTimeout(r, ms));

export function freePort() {
    return new Promise((res, rej) => {
        const s = createServer();
        s.on('error', rej);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => res(port));
        });
    });
}

// Calls fn() until it returns something truthy, which is returned; null
// after 'timeout' ms. The pause between tries is not the check: a loaded
// machine only makes it take longer.
export async function waitFor(fn, timeout = 60000, every = 250) {
    const end = Date.now() + timeout;
    for (;;) {
        let v = null;
        try {
            v = await fn();
        } catch (e) { /* not yet */ }
        if (v)
            return v;
        if (Date.now() > end)
            return null;
        await sleep(every);
    }
}

// Gives every named user of the database at 'db' the password PASSWORD.
export function setPasswords(db, names) {
    for (const n of names)
        if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(n))
            throw new Error(`not a user name: ${n}`);
    const list = names.map(n => `'${n}'`).join(', ');
    // The daemon may be writing: wait for its lock rather than fail.
    const r = spawnSync('sqlite3', ['-cmd', '.timeout 15000', db,
        `UPDATE users SET password_hash = '${HASH}' WHERE name IN (${list});`
        + ' SELECT changes();'], { encoding: 'utf8' });
    return r.status === 0 && Number(r.stdout.trim()) === names.length;
}

// Desktop (1280 px) and phone (390 px) shots of the page shown, into
// 'dir' as NAME-desktop.png and NAME-phone.png, with the phone's check.
export async function shoot(page, dir, name) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(dir, `${name}-desktop.png`),
                            fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const over = await page.evaluate(() =>
        document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: join(dir, `${name}-phone.png`),
                            fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    check(`${name}: fits a 390 px phone without sideways scrolling`,
          over <= 0, `${over}px too wide`);
}

// Watches a browser context: every console message and page error of
// its pages, every response without a Content-Security-Policy, and every
// request not to one of 'bases' (aborted). w.allow(url) drops the
// "responded with a status of 4xx" messages of that address: an error
// page asked for on purpose.
export async function watch(context, bases) {
    const w = { console: [], noCsp: [], offsite: [], allowed: new Set() };
    const onPage = page => {
        page.on('console', m => {
            const t = `${m.type()}: ${m.text()}`;
            if (!(/responded with a status of 4\d\d/.test(t)
                  && w.allowed.has(m.location().url)))
                w.console.push(t);
        });
        page.on('pageerror', e => w.console.push(`pageerror: ${e.message}`));
        page.on('response', r => {
            if (!r.headers()['content-security-policy'])
                w.noCsp.push(r.url());
        });
    };
    context.pages().forEach(onPage);
    context.on('page', onPage);
    await context.route('**/*', route => {
        const u = route.request().url();
        if (!bases.some(b => u === b || u.startsWith(`${b}/`))) {
            w.offsite.push(u);
            return route.abort();
        }
        return route.continue();
    });
    w.allow = url => w.allowed.add(url);
    return w;
}

// The watch's three checks, named after 'who'.
export function checkWatch(w, who) {
    check(`${who}: no console message or page error (CSP violations `
          + 'included)', w.console.length === 0,
          w.console.slice(0, 5).join('; '));
    check(`${who}: every response carried a Content-Security-Policy`,
          w.noCsp.length === 0, w.noCsp.slice(0, 5).join(' '));
    check(`${who}: no request left the daemon`, w.offsite.length === 0,
          w.offsite.slice(0, 3).join(' '));
}
