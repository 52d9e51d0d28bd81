#!/usr/bin/env node
// Browser test of the sanitiser (SECURITY.md SAN-1, SAN-3).
//
// Every vector of tests/fixtures/sanitize/vectors.tsv goes through the real
// `curator sanitize` (web profile), and one page holding all the outputs is
// served from 127.0.0.1 on a free port, once without and once with a strict
// Content-Security-Policy, to Debian's Chromium driven by playwright-core.
// Page-level hooks record every dialog (alert, confirm, prompt, print),
// console message, navigation, popup and request; the page is hovered,
// tabbed through and given time for error handlers to fire. Then:
//   - no dialog, console message, navigation, popup or frame happened, and
//     no request left the page's origin (fixture image hosts in the inputs
//     are pointed at the page's own server first, so a kept image is a
//     same-origin request and anything else is a leak);
//   - the DOM holds no script, style, frame, form, svg, math or event
//     handler, and no link that is not http(s) or mailto;
//   - each output is unchanged by an HTML5 re-parse and serialisation in
//     the browser (template.innerHTML), so nothing can mutate.
// A screenshot goes to $CURATOR_BUILD/browser/sanitize.png. The summary is
// printed as cmocka prints it, for scripts/run-tests.sh.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, check, summary } from './lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const build = resolve(process.env.CURATOR_BUILD || 'build');
const curator = join(build, 'curator');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const vectorsPath = resolve(here, '../fixtures/sanitize/vectors.tsv');

// The TSV escapes: \t \n \r \\ \xHH (bytes; the vectors' \x bytes are
// ASCII controls or invalid UTF-8, kept as bytes here).
function unescape(s) {
    const out = [];
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (c !== '\\' || i + 1 >= s.length) {
            out.push(...Buffer.from(c, 'utf8'));
            continue;
        }
        const n = s[++i];
        if (n === 't') out.push(9);
        else if (n === 'n') out.push(10);
        else if (n === 'r') out.push(13);
        else if (n === '\\') out.push(92);
        else if (n === 'x') { out.push(parseInt(s.substr(i + 1, 2), 16)); i += 2; }
        else out.push(92, ...Buffer.from(n, 'utf8'));
    }
    return Buffer.from(out);
}

function readVectors() {
    const vectors = [];
    for (const line of readFileSync(vectorsPath, 'utf8').split('\n')) {
        if (line === '' || line.startsWith('#'))
            continue;
        const tab = line.indexOf('\t');
        vectors.push(line.slice(0, tab));
    }
    return vectors;
}

// A 1x1 GIF, for every image the page asks its own server for.
const gif = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==',
                        'base64');

async function main() {
    if (!existsSync(curator))
        return check('setup: curator binary', false, `${curator} is missing (make)`);
    if (!existsSync(chromiumPath))
        return check('setup: chromium', false, `${chromiumPath} is missing (make deps)`);
    let chromium;
    try {
        ({ chromium } = await import('playwright-core'));
    } catch (e) {
        return check('setup: playwright-core', false,
                     `not installed in tests/browser (make deps): ${e.message}`);
    }

    const pages = { '/': '', '/csp': '' };
    const server = createServer((req, res) => {
        const path = req.url.split('?')[0];
        if (path in pages) {
            const headers = { 'Content-Type': 'text/html; charset=utf-8',
                              'Cache-Control': 'no-store' };
            if (path === '/csp')
                headers['Content-Security-Policy'] =
                    "default-src 'none'; img-src 'self' data:; media-src 'self';"
                    + " style-src 'unsafe-inline'; base-uri 'none';"
                    + " form-action 'self'; frame-ancestors 'none'";
            res.writeHead(200, headers);
            res.end(pages[path]);
        } else {
            res.writeHead(200, { 'Content-Type': 'image/gif' });
            res.end(gif);
        }
    });
    await new Promise(r => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${server.address().port}`;

    // Fixture hosts that serve images (*.example, example.org) become the
    // page's own server; anything else an output fetches is a leak.
    const hostRe = /https?:(?:\/\/|\\\\)(?:[^\/"'\s@<>\\]*@)?(?:[a-z0-9-]+\.)*(?:example\.org|example)\.?(?::\d+)?(?=[\/\\])/gi;
    const vectors = readVectors();
    const outputs = [];
    for (const v of vectors) {
        const input = unescape(v.replace(hostRe, origin));
        const r = spawnSync(curator, ['sanitize', '--base-url', `${origin}/base/`],
                            { input, encoding: 'utf8' });
        if (r.status !== 0) {
            check(`curator sanitize ${JSON.stringify(v)}`, false, r.stderr);
            outputs.push('');
            continue;
        }
        outputs.push(r.stdout.replace(/\n$/, ''));
    }
    check(`curator sanitize ran on ${vectors.length} vectors`, outputs.length === vectors.length
          && vectors.length >= 100);

    const body = outputs.map((o, i) => `<section id="v${i}">${o}</section>`).join('\n');
    const page = `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">`
        + `<title>Curator: sanitised vectors</title><style>body{font:12px sans-serif}`
        + ` section{border:1px solid #bbb;margin:2px;padding:2px;min-height:8px}`
        + ` img{max-width:64px;max-height:32px}</style></head><body>`
        + `<h1>${vectors.length} sanitised vectors</h1>\n${body}\n</body></html>\n`;
    pages['/'] = page;
    pages['/csp'] = page;

    const profile = mkdtempSync(join(tmpdir(), 'curator-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1200, height: 900 },
    });
    try {
        await context.addInitScript(() => {
            window.__hits = [];
            for (const f of ['alert', 'confirm', 'prompt', 'print', 'open'])
                window[f] = (...a) => { window.__hits.push(`${f}(${a.join(',')})`); };
        });
        for (const path of ['/', '/csp']) {
            const tag = path === '/' ? 'no CSP' : 'strict CSP';
            const p = await context.newPage();
            const dialogs = [], consoleMsgs = [], offOrigin = [], navs = [], popups = [];
            p.on('dialog', d => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
            p.on('console', m => consoleMsgs.push(`${m.type()}: ${m.text()}`));
            p.on('pageerror', e => consoleMsgs.push(`pageerror: ${e.message}`));
            p.on('popup', w => popups.push(w.url()));
            p.on('framenavigated', f => { if (f === p.mainFrame()) navs.push(f.url()); });
            await p.route('**/*', route => {
                const u = route.request().url();
                if (!u.startsWith(`${origin}/`)) {
                    offOrigin.push(u);
                    return route.abort();
                }
                return route.continue();
            });
            await p.goto(`${origin}${path}`, { waitUntil: 'load' });
            // Give handlers their chances: hover every vector, tab around.
            for (let i = 0; i < outputs.length; i++)
                await p.hover(`#v${i}`, { force: true, timeout: 2000 }).catch(() => {});
            for (let i = 0; i < 20; i++)
                await p.keyboard.press('Tab');
            await p.waitForTimeout(500);

            const hits = await p.evaluate(() => window.__hits);
            check(`${tag}: no script ran (alert, confirm, prompt, print, open)`,
                  hits.length === 0 && dialogs.length === 0, [...hits, ...dialogs].join('; '));
            check(`${tag}: no console message or page error`, consoleMsgs.length === 0,
                  consoleMsgs.slice(0, 5).join('; '));
            check(`${tag}: no request off the page's origin`, offOrigin.length === 0,
                  offOrigin.slice(0, 5).join(' '));
            check(`${tag}: no navigation or popup`,
                  navs.length === 1 && popups.length === 0 && p.url() === `${origin}${path}`,
                  [...navs, ...popups].join(' '));
            check(`${tag}: no frame`, p.frames().length === 1);
            const bad = await p.evaluate(() => {
                const found = [];
                const body = document.body;
                for (const sel of ['script', 'style', 'iframe', 'frame', 'object', 'embed',
                                   'form', 'input', 'button', 'select', 'textarea',
                                   'svg', 'math', 'base', 'meta', 'link', 'template',
                                   'noscript'])
                    if (body.querySelector(sel)) found.push(`<${sel}>`);
                for (const el of body.querySelectorAll('section *'))
                    for (const a of el.attributes)
                        if (/^on/i.test(a.name) || a.name === 'style' || a.name === 'srcdoc'
                            || a.name === 'id' || a.name === 'class' || a.name === 'name')
                            found.push(`${el.localName}[${a.name}]`);
                for (const a of body.querySelectorAll('a'))
                    if (!/^(https?:|mailto:)/.test(a.href) || a.rel !== 'noopener noreferrer nofollow')
                        found.push(`a[href=${a.href}]`);
                for (const i of body.querySelectorAll('img[src]'))
                    if (!/^(https?:|data:image\/(png|gif|jpeg|webp)[;,])/.test(i.src))
                        found.push(`img[src=${i.src}]`);
                return found;
            });
            check(`${tag}: DOM holds only allowlisted elements, attributes and URLs`,
                  bad.length === 0, bad.slice(0, 10).join(' '));
            if (path === '/') {
                mkdirSync(join(build, 'browser'), { recursive: true });
                const shot = join(build, 'browser', 'sanitize.png');
                await p.screenshot({ path: shot, fullPage: true });
                check(`screenshot saved to ${shot}`, existsSync(shot));
            }
            await p.close();
        }

        // SAN-3: an HTML5 re-parse and serialisation changes nothing.
        const p = await context.newPage();
        await p.goto(`${origin}/`, { waitUntil: 'load' });
        const reparsed = await p.evaluate(outs => outs.map(s => {
            const t = document.createElement('template');
            t.innerHTML = s;
            return t.innerHTML;
        }), outputs);
        for (let i = 0; i < outputs.length; i++)
            check(`HTML5 round trip of vector ${i + 1} ${JSON.stringify(vectors[i]).slice(0, 60)}`,
                  reparsed[i] === outputs[i],
                  `\n   ours:    ${JSON.stringify(outputs[i])}\n   browser: ${JSON.stringify(reparsed[i])}`);
        await p.close();
    } finally {
        await context.close();
        server.close();
        rmSync(profile, { recursive: true, force: true });
    }
}

console.log('[==========] browser: sanitised HTML in Chromium');
const timer = setTimeout(() => {
    check('finished within 180 s', false);
    summary();
    process.exit(1);
}, 180000);
main().catch(e => check('browser test ran', false, e.stack)).finally(() => {
    clearTimeout(timer);
    summary();
});
