// The server's pages: the index of bots, a full-page bot prefilled from its URL (and the query
// hidden afterwards, the bot's isHideQueryParamsEnabled), played to the end on a 360 px screen,
// and the HTML 404.
import { answer, check, click, see, screenshot } from '../lib.mjs';

export default async function pages(t) {
  let page = await t.open(`${t.tessera}/`);
  check((await page.title()).includes('Tessera'), 'the index page has a title');
  await page.getByRole('link', { name: 'Tessera web demo' }).waitFor();
  t.ok(`GET / lists the bots (${await page.getByRole('listitem').count()} links); ${await screenshot(page, 'index', t.out, t.browser)}`);
  await page.getByRole('link', { name: 'Customer support' }).click();
  await see(page, 'Support for order');
  t.ok('a bot link opens its full page');
  await t.done(page);

  page = await t.open(`${t.tessera}/web-demo?First%20name=John&utm_source=test`, { width: 360, height: 740 });
  await see(page, "Hello John! I'm the web demo bot.");
  check(await page.title() === 'Tessera web demo', `the title comes from the metadata (${await page.title()})`);
  const desc = await page.locator('meta[name=description]').getAttribute('content');
  check(desc === "A small bot to try Tessera's web player.", 'the description comes from the metadata');
  check(new URL(page.url()).search === '', `the query is hidden from the address bar (${page.url()})`);
  t.ok('the full page shows the name prefilled from its URL in its first bubble; head from metadata; query hidden');
  t.ok(await screenshot(page, 'page-prefilled-360', t.out, t.browser));
  await answer(page, 'John');
  await see(page, 'Nice to meet you John. Read the docs.');
  const href = await page.locator('.log a').last().getAttribute('href');
  check(href === 'https://tessera.example/docs', `rich text links keep their https URL (${href})`);
  await answer(page, 'not-an-email');
  await see(page, "This email doesn't seem to be valid. Can you type it again?");
  t.ok('an invalid email gets the retry message and the same input');
  await answer(page, 'john@example.com');
  await see(page, 'How many seats');
  await answer(page, '3');
  await click(page, 'Pro');
  await see(page, "Thanks John: Pro for 3 seats, we'll write to john@example.com.");
  const progress = await page.locator('[role=progressbar]').getAttribute('aria-valuenow');
  check(Number(progress) === 100, `the progress bar is at 100 (${progress})`);
  t.ok('the full page plays text, email (with retry), number and choice to the end; progress bar full');
  await t.done(page);

  page = await t.open(`${t.tessera}/no-such-bot`);
  await page.getByText('There is no published bot called').waitFor();
  t.ok('an unknown bot page is an HTML page that links back to the index');
  await t.done(page);
}
