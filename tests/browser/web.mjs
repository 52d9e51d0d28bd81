#!/usr/bin/env node
// Browser test of the web page (issue 8), in Debian's Chromium driven by
// playwright-core, against the real curatord.
//
// Two daemons run from temporary folders with the shipped sample feeds and
// filters, each on a free port of 127.0.0.1 (no other network). The demo
// user of the first gets a password (a fixed argon2id hash written with the
// sqlite3 shell, as `curator user password` would store it), then the
// browser, with no script of ours on any page:
//   - signs in; reads Today;
//   - adds a goal and an interest under it, previews the ranking, saves,
//     and waits until Today shows the new goal's section (the daemon's
//     scorer picks the change up by itself);
//   - gives one item 👍 and another 👎 (the buttons show as pressed);
//   - saves an item and writes a note on it in the Portfolio;
//   - writes a journal entry, edits it, finds it by search;
//   - downloads "Export everything", signs in to the second daemon and
//     imports it there: the note and the journal entry arrive.
// Every page is also shot at desktop (1280 px) and phone (390 px) width
// into $CURATOR_BUILD/screenshots/, and checked: no horizontal scrolling
// on the phone, no console message (a CSP violation would be one), every
// response with a Content-Security-Policy. Results are printed as cmocka
// prints them, for scripts/run-tests.sh.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync,
         writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, PASSWORD, check, checkWatch, freePort,
         setPasswords, shoot, sleep, summary, waitFor,
         watch } from './lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');
const build = resolve(process.env.CURATOR_BUILD || 'build');
const curatord = join(build, 'curatord');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(build, 'screenshots');

// The sample feeds over HTTP on 127.0.0.1, so that both daemons know
// them by the same URLs (an export names items by feed URL and guid).
function serveSamples() {
    const server = createServer((req, res) => {
        const name = req.url.split('?')[0].replace(/^\/+/, '');
        const path = join(root, 'config/samples', name);
        if (!/^[a-z0-9-]+\.xml$/.test(name) || !existsSync(path)) {
            res.writeHead(404);
            return res.end();
        }
        res.writeHead(200, { 'Content-Type': 'application/xml' });
        res.end(readFileSync(path));
    });
    return new Promise(r => server.listen(0, '127.0.0.1', () => r(server)));
}

// One curatord in its own folder, reading the sample feeds.
async function startDaemon(name, feeds) {
    const dir = mkdtempSync(join(tmpdir(), `curator-web-${name}-`));
    mkdirSync(join(dir, 'spool'));
    const port = await freePort();
    const filters = ['keyword', 'mute', 'source', 'gems', 'bayes', 'recency',
                     'dedupe'].map(f => `[filter ${f}]\n`).join('');
    writeFileSync(join(dir, 'curator.ini'), [
        '[store]', 'path = curator.db',
        '[log]', 'level = warn',
        '[web]', 'address = 127.0.0.1', `port = ${port}`, 'threads = 2',
        '[poll]', 'interval = 1h', 'tick = 1s',
        '[digest]', 'interval = 1d', 'spool = spool',
        '[score]', 'window = 30d', `filter_dir = ${join(build, 'filters')}`,
        filters,
        '[demo]', 'user = demo', 'email = demo@localhost.localdomain',
        'interests = coaching:2, feedback',
        '[feeds]',
        `onboarding = ${feeds}/onboarding-first-ninety-days.xml`,
        `coaching = ${feeds}/coaching-and-feedback.xml`,
        `mentoring = ${feeds}/mentoring-programme-bulletin.xml`,
        `facilitation = ${feeds}/remote-facilitation-field-notes.xml`,
        `leadership = ${feeds}/reflective-leadership.xml`, ''].join('\n'));
    const log = [];
    const child = spawn(curatord, ['-c', join(dir, 'curator.ini')],
                        { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', d => log.push(d.toString()));
    const base = `http://127.0.0.1:${port}`;
    // Up, polled and scored: the home page lists items.
    await waitFor(async () => {
        const r = await fetch(`${base}/`);
        const t = await r.text();
        return r.ok && t.includes('<ol class="items">')
               && !t.includes('No items yet');
    }, 30000, 200);
    const db = join(dir, 'curator.db');
    return { dir, port, base, child, log, db,
             setOk: setPasswords(db, ['demo']) };
}

function stopDaemon(d) {
    if (d && d.child.exitCode === null)
        d.child.kill('SIGTERM');
}

async function login(page, base) {
    await page.goto(`${base}/login`);
    await page.fill('#name', 'demo');
    await page.fill('#password', PASSWORD);
    await page.click('form.stack button');
    await page.waitForLoadState('load');
    if (!page.url().endsWith('/today'))
        throw new Error(`sign-in failed: ${(await page.textContent('main')).slice(0, 300)}`);
}

async function main() {
    if (!existsSync(curatord))
        return check('setup: curatord binary', false, `${curatord} is missing (make)`);
    if (!existsSync(chromiumPath))
        return check('setup: chromium', false, `${chromiumPath} is missing (make deps)`);
    let chromium;
    try {
        ({ chromium } = await import('playwright-core'));
    } catch (e) {
        return check('setup: playwright-core', false,
                     `not installed in tests/browser (make deps): ${e.message}`);
    }
    mkdirSync(shots, { recursive: true });
    const samples = await serveSamples();
    const feeds = `http://127.0.0.1:${samples.address().port}`;
    const one = await startDaemon('one', feeds);
    const two = await startDaemon('two', feeds);
    const profile = mkdtempSync(join(tmpdir(), 'curator-chromium-'));
    let context;
    try {
        check('setup: both daemons up with a demo password', one.setOk && two.setOk,
              one.log.concat(two.log).join('').slice(0, 400));
        context = await chromium.launchPersistentContext(profile, {
            executablePath: chromiumPath,
            headless: true,
            acceptDownloads: true,
            args: CHROMIUM_ARGS,
            viewport: { width: 1280, height: 900 },
        });
        // Only our two daemons: item links are never followed here.
        const w = await watch(context, [one.base, two.base]);
        const page = await context.newPage();

        // Signed out.
        await page.goto(`${one.base}/login`);
        await shoot(page, shots, 'login');
        w.allow(`${one.base}/no/such/page`);    /* the 404 is logged */
        await page.goto(`${one.base}/no/such/page`);
        check('unknown page: friendly 404', (await page.textContent('h1')) === 'Page not found');
        await shoot(page, shots, 'not-found');

        // Sign in; Today.
        await login(page, one.base);
        check('sign in lands on Today', page.url().endsWith('/today'));
        const before = await page.$$eval('section.group h2', hs => hs.map(h => h.textContent));
        check('Today ranks items before the change', before.length > 0, JSON.stringify(before));
        await shoot(page, shots, 'today');

        // A goal and an interest under it; preview; save.
        await page.goto(`${one.base}/interests`);
        await page.fill('#goal_name', 'Remote work');
        await Promise.all([page.waitForURL(/done=goal/), page.click('text=Add goal')]);
        const goals = () => page.$$eval('ul.goals input[name="goal_name"]',
                                        is => is.map(i => i.value));
        check('goal added', (await goals()).includes('Remote work'));
        const rows = Number(await page.getAttribute('input[name="rows"]', 'value'));
        const fresh = rows - 3;
        await page.fill(`#term\\.${fresh}`, 'remote');
        await page.fill(`#weight\\.${fresh}`, '5');
        await page.selectOption(`#goal\\.${fresh}`, { label: 'Remote work' });
        await page.fill(`#term\\.${fresh + 1}`, '"time zones"');
        await page.fill(`#weight\\.${fresh + 1}`, '3');
        await Promise.all([page.waitForLoadState('load'), page.click('button[value="preview"]')]);
        const preview = await page.textContent('#preview');
        check('preview ranks the week under the unsaved change',
              preview.includes('With your changes') && /remote/i.test(preview),
              preview.slice(0, 300));
        await shoot(page, shots, 'interests-preview');
        await Promise.all([page.waitForURL(/done=profile/), page.click('button[value="save"]')]);
        check('interests saved', (await page.textContent('.notice')).includes('saved'));
        await shoot(page, shots, 'interests');

        // The daemon rescores by itself: wait for the goal's section.
        let changed = false;
        for (let i = 0; i < 60 && !changed; i++) {
            await page.goto(`${one.base}/today`);
            const hs = await page.$$eval('section.group h2', h => h.map(x => x.textContent));
            changed = hs.includes('Goal: Remote work');
            if (!changed)
                await sleep(500);
        }
        check('Today changes: a section for the new goal', changed);
        await shoot(page, shots, 'today-after');

        // 👍 on the first item, 👎 on the second.
        const ids = await page.$$eval('li.item', ls => ls.map(l => l.id));
        await Promise.all([page.waitForURL(/done=up/),
                           page.click(`#${ids[0]} button[value^="up:"]`)]);
        await Promise.all([page.waitForURL(/done=down/),
                           page.click(`#${ids[1]} button[value^="down:"]`)]);
        check('👍 shows as pressed',
              await page.getAttribute(`#${ids[0]} button[value^="up:"]`, 'aria-pressed') === 'true');
        check('👎 shows as pressed',
              await page.getAttribute(`#${ids[1]} button[value^="down:"]`, 'aria-pressed') === 'true');

        // Save an item; a note in the portfolio.
        const title = (await page.textContent(`#${ids[0]} h3`)).trim();
        await Promise.all([page.waitForURL(/done=saved/),
                           page.click(`#${ids[0]} button[value^="save:"]`)]);
        await page.goto(`${one.base}/portfolio`);
        check('saved item in the portfolio', (await page.textContent('ol.saved')).includes(title), title);
        await page.fill('ol.saved textarea', 'Try this with the new starters <team>.');
        await Promise.all([page.waitForURL(/done=note/), page.click('ol.saved button[value="note"]')]);
        check('note kept', (await page.inputValue('ol.saved textarea'))
              === 'Try this with the new starters <team>.');
        await shoot(page, shots, 'portfolio');

        // The journal: write, edit, search.
        await page.goto(`${one.base}/journal`);
        await page.fill('#body', 'Ran the first remote retro with the team.');
        await Promise.all([page.waitForURL(/done=journal/), page.click('button[value="add"]')]);
        await Promise.all([page.waitForLoadState('load'), page.click('ol.journal a:text("Edit")')]);
        await page.fill('ol.journal textarea', 'Ran the first remote retrospective with the team: it went well.');
        await Promise.all([page.waitForURL(/done=journal/), page.click('ol.journal button[value="update"]')]);
        check('journal entry edited', (await page.textContent('ol.journal')).includes('it went well'));
        await page.fill('#q', 'retrosp');
        await Promise.all([page.waitForURL(/q=retrosp/), page.click('form.search button')]);
        check('journal search finds the entry', (await page.textContent('ol.journal')).includes('it went well'));
        await shoot(page, shots, 'journal');

        // The other pages, for their pictures.
        for (const [path, name] of [['/sources', 'sources'], ['/schedule', 'schedule'],
                                    ['/account', 'account']]) {
            await page.goto(`${one.base}${path}`);
            await shoot(page, shots, name);
        }

        // Export everything; import on the second Curator.
        await page.goto(`${one.base}/account`);
        const [download] = await Promise.all([page.waitForEvent('download'),
                                              page.click('a[href="/account/export.json"]')]);
        const exported = join(one.dir, 'export.json');
        await download.saveAs(exported);
        const doc = JSON.parse(readFileSync(exported, 'utf8'));
        check('export is a Curator export with the note and the entry',
              doc.format === 'curator-export' && doc.saved.length === 1
              && doc.journal.length === 1 && doc.feedback.length === 2);
        await page.goto(`${one.base}/today`);
        await Promise.all([page.waitForURL(/done=signed-out/), page.click('header .signout button')]);
        await login(page, two.base);
        await page.goto(`${two.base}/account`);
        await page.setInputFiles('#export', exported);
        await Promise.all([page.waitForURL(/done=imported/),
                           page.click('form[action="/account/import"] button')]);
        check('import accepted', (await page.textContent('.notice')).includes('Import done'));
        await page.goto(`${two.base}/portfolio`);
        check('imported note in the second portfolio',
              (await page.inputValue('ol.saved textarea')) === 'Try this with the new starters <team>.');
        await page.goto(`${two.base}/journal`);
        check('imported journal entry', (await page.textContent('ol.journal')).includes('it went well'));
        await page.goto(`${two.base}/interests`);
        check('imported goal', (await goals()).includes('Remote work'));

        checkWatch(w, 'demo');
    } catch (e) {
        check(`browser run: ${e.message.split('\n')[0]}`, false, e.stack);
    } finally {
        if (context)
            await context.close();
        stopDaemon(one);
        stopDaemon(two);
        await sleep(300);
        for (const d of [one, two])
            rmSync(d.dir, { recursive: true, force: true });
        samples.close();
        rmSync(profile, { recursive: true, force: true });
    }
}

await main().catch(e => check(`browser test: ${e.message}`, false, e.stack));
summary();
