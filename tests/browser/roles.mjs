#!/usr/bin/env node
// Browser test of editors and teams (issue 9), in Debian's Chromium driven
// by playwright-core, against the real curatord.
//
// One curatord runs from a temporary folder with the shipped sample feeds
// (read as files) and filters, on a free port of 127.0.0.1, digests going
// to a spool folder. Before it starts, the `curator` command makes the
// people: erin, an editor; ana, whose goal is Mentoring; ben, whose goal
// is Onboarding (with "mentoring" among his interests, so the gem's tag
// fits him and only its audience leaves him out); cai; and the team
// "Learning circle" of ana and cai. Digest email is off until the gem is
// tagged, so the next digest is the one that must carry it. Passwords
// are a fixed argon2id hash written with the sqlite3 shell. Then, each
// person in a browser context of their own, with no script of ours on
// any page:
//   - erin tags an onboarding item as a gem on /gems: a misspelt team in
//     the audience brings the form back with the error beside the field
//     and stores nothing; then a note, the tag "mentoring" and the
//     audience "Mentoring" are saved; /admin stays closed to her;
//   - ana (for whom /gems is closed) finds the item at the top of Today,
//     under "Editor picks", with the note; ben finds no editor's pick and
//     no note (the item itself may rank for him under his own goal);
//   - with their email turned on, the daemon's next digests arrive in the
//     spool: ana's has the item first, as an editor's pick, with the
//     note; ben's has neither the pick nor the note;
//   - ana shares an item to her team with a note from Today's "Share to
//     team" control; cai sees it with the note on the team's page; ben,
//     in no team, gets "not found" for that page.
// KEEP_ROLES=1 keeps the temporary folder (store, spool) for a look.
// The editor's gem page, ana's and ben's Today and the team page are
// shot at desktop (1280 px) and phone (390 px) width into
// $CURATOR_BUILD/screenshots/ (names starting "roles-"), and every page
// is checked: no sideways scrolling on the phone, no console message (a
// CSP violation would be one) but for the error pages asked for, every
// response with a Content-Security-Policy, no request elsewhere.
// Results are printed as cmocka prints them, for scripts/run-tests.sh.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync,
         rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, PASSWORD, check, checkWatch, freePort,
         setPasswords, shoot, summary, waitFor,
         watch } from './lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');
const build = resolve(process.env.CURATOR_BUILD || 'build');
const curatord = join(build, 'curatord');
const curatorBin = join(build, 'curator');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(build, 'screenshots');
const WAIT = 120000;    /* ms for anything the daemon does by itself */

const FEEDS = ['onboarding-first-ninety-days', 'coaching-and-feedback',
               'mentoring-programme-bulletin',
               'remote-facilitation-field-notes', 'reflective-leadership'];
const GEM_TITLE = 'Remote onboarding: making the invisible parts of the '
    + 'job visible';
const GEM_NOTE = 'Pair this with your first mentoring session: it names '
    + 'the unwritten rules a mentee asks about';
const SHARE_TITLE = 'Closing a mentoring relationship well';
const SHARE_NOTE = 'For our next circle: how do we end the pairings?';
const TEAM = 'Learning circle';
const EMAIL = name => `${name}@localhost.localdomain`;

// The people, made with the curator command (argument lists).
const PEOPLE = [
    ['user', 'add', 'erin', EMAIL('erin')],
    ['user', 'role', 'erin', 'editor'],
    ['user', 'add', 'ana', EMAIL('ana')],
    ['goal', 'add', 'ana', 'Mentoring'],
    ['interest', 'add', 'ana', 'mentoring', '2', '--goal', 'Mentoring'],
    ['user', 'add', 'ben', EMAIL('ben')],
    ['goal', 'add', 'ben', 'Onboarding'],
    ['interest', 'add', 'ben', 'onboarding', '2', '--goal', 'Onboarding'],
    ['interest', 'add', 'ben', 'mentoring', '1'],
    ['user', 'add', 'cai', EMAIL('cai')],
    ['interest', 'add', 'cai', 'feedback', '1'],
    ['team', 'add', TEAM],
    ['team', 'member', TEAM, 'ana'],
    ['team', 'member', TEAM, 'cai'],
];
const NAMES = ['erin', 'ana', 'ben', 'cai'];

// How many items the sample feeds hold: the daemon has polled them all
// when its home page counts that many.
function sampleItems() {
    let n = 0;
    for (const f of FEEDS) {
        const xml = readFileSync(join(root, 'config/samples', `${f}.xml`),
                                 'utf8');
        n += (xml.match(/<(item|entry)[\s>]/g) || []).length;
    }
    return n;
}

function curator(d, args) {
    const r = spawnSync(curatorBin, ['-c', d.ini, ...args],
                        { encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0)
        throw new Error(`curator ${args.join(' ')}: ${r.stderr || r.error}`);
    return r.stdout;
}

// The folder, the store and the people; then curatord, up and polled.
async function startDaemon() {
    const dir = mkdtempSync(join(tmpdir(), 'curator-roles-'));
    const spool = join(dir, 'spool');
    mkdirSync(spool);
    const port = await freePort();
    const filters = ['keyword', 'mute', 'source', 'gems', 'bayes', 'recency',
                     'dedupe'].map(f => `[filter ${f}]\n`).join('');
    const ini = join(dir, 'curator.ini');
    writeFileSync(ini, [
        '[store]', 'path = curator.db',
        '[log]', 'level = warn',
        '[web]', 'address = 127.0.0.1', `port = ${port}`, 'threads = 2',
        '[poll]', 'interval = 1h', 'tick = 1s',
        '[digest]', 'interval = 1d', 'spool = spool',
        '[score]', 'window = 30d', `filter_dir = ${join(build, 'filters')}`,
        filters,
        '[feeds]',
        ...FEEDS.map(f => `${f} = ${join(root, 'config/samples', f)}.xml`),
        ''].join('\n'));
    const d = { dir, spool, ini, port, base: `http://127.0.0.1:${port}`,
                db: join(dir, 'curator.db'), log: [], child: null };
    curator(d, ['init']);
    for (const args of PEOPLE)
        curator(d, args);
    const feeds = spawnSync('sqlite3', [d.db, 'SELECT id FROM feeds;'],
                            { encoding: 'utf8' }).stdout.trim().split('\n');
    for (const name of NAMES.slice(1)) {
        for (const f of feeds)
            curator(d, ['subscribe', name, f]);
        /* No digest yet: the next one is to carry the gem. */
        curator(d, ['digest', 'set', name, 'email', 'off']);
    }
    curator(d, ['digest', 'set', 'erin', 'email', 'off']);
    d.feeds = feeds.length;
    d.setOk = setPasswords(d.db, NAMES);
    d.child = spawn(curatord, ['-c', ini],
                    { stdio: ['ignore', 'ignore', 'pipe'] });
    running = d;
    d.child.stderr.on('data', b => d.log.push(b.toString()));
    const want = sampleItems();
    d.polled = await waitFor(async () => {
        const t = await (await fetch(`${d.base}/`)).text();
        const m = t.match(/(\d+) of (\d+) items shown/);
        return m && Number(m[2]) === want;
    }, WAIT);
    return d;
}

function stopDaemon(d) {
    if (d && d.child && d.child.exitCode === null)
        d.child.kill('SIGTERM');
}

// A browser context of one's own, signed in.
async function signIn(browser, d, name) {
    const context = await browser.newContext({
        viewport: { width: 1280, height: 900 } });
    const w = await watch(context, [d.base]);
    const page = await context.newPage();
    await page.goto(`${d.base}/login`);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/today/),
                       page.getByRole('button', { name: 'Sign in' }).click()]);
    return { context, page, w, name };
}

// An item of a list, by its heading.
function itemBy(page, title) {
    return page.locator('li.item').filter({
        has: page.getByRole('heading', { name: title, exact: true }) });
}

// An error page asked for on purpose: its status and heading.
async function errorPage(who, d, path) {
    who.w.allow(`${d.base}${path}`);
    const r = await who.page.goto(`${d.base}${path}`);
    return { status: r.status(),
             h1: (await who.page.textContent('h1')).trim() };
}

// Stopped from outside (a test timeout): the daemon goes too.
let running = null;
for (const sig of ['SIGINT', 'SIGTERM'])
    process.on(sig, () => {
        stopDaemon(running);
        if (running && !process.env.KEEP_ROLES)
            rmSync(running.dir, { recursive: true, force: true });
        process.exit(1);
    });

// ---- The spool: each message's recipient and decoded text parts. ----

function unfold(head) {
    const h = {};
    for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
        const c = line.indexOf(':');
        if (c > 0)
            h[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
    }
    return h;
}

function decodeBody(body, cte) {
    cte = (cte || '7bit').toLowerCase();
    if (cte === 'base64')
        return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (cte === 'quoted-printable') {
        const soft = body.replace(/=\r?\n/g, '');
        const bytes = [];
        for (let i = 0; i < soft.length; i++) {
            const hex = soft.substr(i + 1, 2);
            if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
                bytes.push(parseInt(hex, 16));
                i += 2;
            } else {
                bytes.push(...Buffer.from(soft[i], 'utf8'));
            }
        }
        return Buffer.from(bytes).toString('utf8');
    }
    return body;
}

// The leaf parts of a MIME entity, as { type, text }.
function mimeParts(raw) {
    const at = raw.search(/\r?\n\r?\n/);
    const head = unfold(at < 0 ? raw : raw.slice(0, at));
    const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
    const type = (head['content-type'] || 'text/plain').toLowerCase();
    const bm = (head['content-type'] || '').match(/boundary="?([^";]+)"?/i);
    if (type.startsWith('multipart/') && bm) {
        const sep = `--${bm[1]}`;
        return body.split(sep).slice(1)
            .filter(p => !p.startsWith('--'))
            .flatMap(p => mimeParts(p.replace(/^\r?\n/, '')));
    }
    return [{ type: type.split(';')[0].trim(),
              text: decodeBody(body, head['content-transfer-encoding']),
              head }];
}

// The spooled messages: { to, text, html } each.
function spooled(d) {
    return readdirSync(d.spool).filter(f => f.endsWith('.eml')).map(f => {
        const raw = readFileSync(join(d.spool, f), 'utf8');
        const at = raw.search(/\r?\n\r?\n/);
        const head = unfold(raw.slice(0, at));
        const parts = mimeParts(raw);
        const of = t => parts.filter(p => p.type === t).map(p => p.text)
            .join('\n');
        return { file: f, to: head.to || '', text: of('text/plain'),
                 html: of('text/html') };
    });
}

const flat = s => s.replace(/\s+/g, ' ');

async function main() {
    for (const [what, path] of [['curatord binary', curatord],
                                ['curator binary', curatorBin],
                                ['chromium', chromiumPath]])
        if (!existsSync(path))
            return check(`setup: ${what}`, false, `${path} is missing`);
    let chromium;
    try {
        ({ chromium } = await import('playwright-core'));
    } catch (e) {
        return check('setup: playwright-core', false,
                     'not installed in tests/browser (make deps): '
                     + e.message);
    }
    mkdirSync(shots, { recursive: true });
    let d, browser;
    const people = [];
    try {
        d = await startDaemon();
        if (!check('setup: people, team and passwords made; feeds polled',
                   d.setOk && d.polled && d.feeds === FEEDS.length,
                   `passwords ${d.setOk}, polled ${d.polled}, `
                   + `feeds ${d.feeds}; `
                   + d.log.join('').slice(0, 400)))
            return;
        browser = await chromium.launch({ executablePath: chromiumPath,
                                          headless: true,
                                          args: CHROMIUM_ARGS });

        // The editor tags a gem.
        const erin = await signIn(browser, d, 'erin');
        people.push(erin);
        let p = erin.page;
        await p.goto(`${d.base}/gems`);
        let li = itemBy(p, GEM_TITLE);
        check('editor: the item is on the gem page', await li.count() === 1);
        const itemId = (await li.getAttribute('id')).replace('item-', '');
        const fill = async (aud) => {
            await li.getByLabel('Why it matters, for whom').fill(GEM_NOTE);
            await li.getByLabel(/^Topic tags/).fill('mentoring');
            await li.getByLabel(/^Audience/).fill(aud);
            await li.getByLabel(/^Days it stays a gem/).fill('14');
        };
        // A misspelt team: the form back, nothing stored.
        await fill('Mentoring, team:Nobody here');
        erin.w.allow(`${d.base}/gems`);
        const [bad] = await Promise.all([
            p.waitForResponse(r => r.url() === `${d.base}/gems`
                              && r.request().method() === 'POST'),
            li.getByRole('button', { name: 'Tag as gem' }).click()]);
        await p.waitForLoadState('load');
        li = itemBy(p, GEM_TITLE);
        check('editor: a misspelt team brings the form back (400)',
              bad.status() === 400, `status ${bad.status()}`);
        const audErr = await p.locator('#aud-' + itemId + '-error')
            .textContent().catch(() => '');
        check('editor: the error is beside the audience field',
              audErr.includes('There is no team called "Nobody here"'), audErr);
        check('editor: the typed values are kept',
              await li.getByLabel('Why it matters, for whom').inputValue()
              === GEM_NOTE);
        await p.goto(`${d.base}/gems?item=${itemId}`);
        check('editor: nothing was stored',
              !(await p.textContent('main')).includes('a gem now'));
        // Now right.
        li = itemBy(p, GEM_TITLE);
        await fill('Mentoring');
        await Promise.all([p.waitForURL(/\/gems\?done=gem/),
                           li.getByRole('button', { name: 'Tag as gem' })
                               .click()]);
        check('editor: the gem is saved', p.url().includes('done=gem'));
        await p.goto(`${d.base}/gems?item=${itemId}`);
        li = itemBy(p, GEM_TITLE);
        check('editor: the item shows as a gem with its note',
              (await li.textContent()).includes('a gem now')
              && await li.getByLabel('Why it matters, for whom').inputValue()
                 === GEM_NOTE
              && await li.getByLabel(/^Audience/).inputValue() === 'Mentoring');
        await shoot(p, shots, 'roles-gems');
        const admin = await errorPage(erin, d, '/admin');
        check('editor: /admin is closed to her (403)', admin.status === 403,
              `${admin.status} ${admin.h1}`);

        // ana: the gem at the top of Today, with the note.
        const ana = await signIn(browser, d, 'ana');
        people.push(ana);
        p = ana.page;
        const gemsClosed = await errorPage(ana, d, '/gems');
        check('subscriber: /gems is closed (403)', gemsClosed.status === 403,
              `${gemsClosed.status} ${gemsClosed.h1}`);
        const top = await waitFor(async () => {
            await p.goto(`${d.base}/today`);
            const h2 = await p.locator('section.group h2').first()
                .textContent();
            const h3 = await p.locator('li.item h3').first().textContent();
            return h2 === 'Editor picks' && h3.trim() === GEM_TITLE;
        }, WAIT, 500);
        check('matching goal: the gem heads Today under "Editor picks"',
              top, (await p.locator('section.group h2').allTextContents())
                  .join(' | '));
        const pick = await itemBy(p, GEM_TITLE).locator('.gem').textContent()
            .catch(() => '');
        check('matching goal: with the editor and the note',
              flat(pick).includes(`Editor's pick by erin: “${GEM_NOTE}”`),
              pick);
        await shoot(p, shots, 'roles-today-pick');

        // ben: no pick, no note.
        const ben = await signIn(browser, d, 'ben');
        people.push(ben);
        p = ben.page;
        await p.goto(`${d.base}/today`);
        const benHeads = await p.locator('section.group h2').allTextContents();
        check('other goal: Today has no "Editor picks"',
              !benHeads.includes('Editor picks'), benHeads.join(' | '));
        check('other goal: the note is nowhere on Today',
              !(await p.textContent('main')).includes(GEM_NOTE));
        // His own goal ranks the item: only the pick must be missing.
        const benItem = itemBy(p, GEM_TITLE);
        check('other goal: the item is on Today, not as an editor\'s pick',
              await benItem.count() === 1
              && await benItem.locator('.gem').count() === 0);
        await shoot(p, shots, 'roles-today-other');

        // The next digests.
        curator(d, ['digest', 'set', 'ana', 'email', 'on']);
        curator(d, ['digest', 'set', 'ben', 'email', 'on']);
        const mail = await waitFor(() => {
            const m = spooled(d);
            const a = m.find(x => x.to.includes(EMAIL('ana')));
            const b = m.find(x => x.to.includes(EMAIL('ben')));
            return a && b ? { a, b, all: m } : null;
        }, WAIT, 500);
        if (check('digests spooled for ana and ben', mail,
                  readdirSync(d.spool).join(' '))) {
            const a = flat(mail.a.text), ah = flat(mail.a.html);
            const firstItem = a.indexOf(GEM_TITLE);
            check('matching goal: the digest has the gem, as an editor\'s '
                  + 'pick, with the note', firstItem >= 0
                  && a.includes("Editor's pick") && a.includes(GEM_NOTE)
                  && ah.includes(GEM_NOTE), a.slice(0, 600));
            check('matching goal: the gem comes first in the digest',
                  firstItem >= 0 && a.indexOf('Editor picks') >= 0
                  && a.indexOf('Editor picks') < firstItem
                  && !/Goal: /.test(a.slice(0, firstItem)), a.slice(0, 600));
            const b = flat(mail.b.text), bh = flat(mail.b.html);
            check('other goal: the digest has the item, but no pick and '
                  + 'no note', b.includes(GEM_TITLE)
                  && !b.includes(GEM_NOTE) && !bh.includes(GEM_NOTE)
                  && !b.includes("Editor's pick")
                  && !b.includes('Editor picks'),
                  b.slice(0, 600));
            check('the digests are two, one each',
                  mail.all.length === 2, mail.all.map(x => x.to).join(', '));
        }

        // ana shares to her team from Today.
        p = ana.page;
        await p.goto(`${d.base}/today`);
        li = itemBy(p, SHARE_TITLE);
        check('team member: the item to share is on Today',
              await li.count() === 1);
        await li.getByText('Share to team', { exact: true }).click();
        await li.getByLabel('Team', { exact: true })
            .selectOption({ label: TEAM });
        await li.getByLabel('Note', { exact: true }).fill(SHARE_NOTE);
        await Promise.all([p.waitForURL(/\/teams\/\d+\?done=shared/),
                           li.getByRole('button', { name: 'Share',
                                                    exact: true }).click()]);
        const teamPath = new URL(p.url()).pathname;
        check('team member: shared, on the team page',
              (await p.textContent('.notice')).includes('Shared with the team')
              && await itemBy(p, SHARE_TITLE).count() === 1);

        // cai sees it, with the note.
        const cai = await signIn(browser, d, 'cai');
        people.push(cai);
        p = cai.page;
        await p.goto(`${d.base}/teams`);
        await Promise.all([p.waitForURL(/\/teams\/\d+$/),
                           p.getByRole('link', { name: TEAM, exact: true })
                               .click()]);
        check('teammate: the team page is the one shared to',
              new URL(p.url()).pathname === teamPath, p.url());
        const shared = await itemBy(p, SHARE_TITLE).textContent()
            .catch(() => '');
        check('teammate: sees the shared item with who shared it and the note',
              flat(shared).includes(`ana: “${SHARE_NOTE}”`), shared);
        await shoot(p, shots, 'roles-team');

        // ben is in no team: the page is not found for him.
        p = ben.page;
        await p.goto(`${d.base}/teams`);
        check('not a member: no team listed',
              (await p.locator('ul.teams').textContent()).includes('no team'));
        const closed = await errorPage(ben, d, teamPath);
        check('not a member: the team page is not found (404)',
              closed.status === 404, `${closed.status} ${closed.h1}`);

        for (const who of people)
            checkWatch(who.w, who.name);
    } catch (e) {
        check(`browser run: ${e.message.split('\n')[0]}`, false, e.stack);
    } finally {
        for (const who of people)
            await who.context.close().catch(() => {});
        if (browser)
            await browser.close();
        stopDaemon(d);
        if (d) {
            await waitFor(() => d.child === null || d.child.exitCode !== null,
                          10000, 100);
            if (process.env.KEEP_ROLES)
                console.log(`kept ${d.dir}`);
            else
                rmSync(d.dir, { recursive: true, force: true });
        }
    }
}

await main().catch(e => check(`browser test: ${e.message}`, false, e.stack));
summary();
