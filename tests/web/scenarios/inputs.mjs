// Every input type, inline, through the bundled inputs-showcase bot: text, long text, number,
// email and URL (each with a retry), phone, date, date and time, date range, time, choice,
// multiple choice, searchable choice, picture choice, rating, optional file (skipped), cards.
import { answer, check, click, see, screenshot } from '../lib.mjs';

export default async function inputs(t) {
  const page = await t.open(`${t.host}/inputs.html`, { height: 900 });
  const slot = page.locator('#chat .input-slot');
  await see(page, "What's your nickname?");
  await answer(page, 'Globetrotter');
  await see(page, 'Tell me about your last trip');
  check(await slot.locator('textarea').count() === 1, 'a long text input is a textarea');
  await answer(page, 'Lisbon in May');
  await see(page, 'How many countries');
  await answer(page, '12');
  await see(page, 'Your email');
  await answer(page, 'nope');
  await see(page, "This email doesn't seem to be valid");
  await answer(page, 'ada@example.com');
  await see(page, 'travel blog');
  await answer(page, 'not a url');
  await see(page, "Hmm, that doesn't look like a web address");
  await answer(page, 'example.com');
  await see(page, 'A phone number');
  await answer(page, '0612345678');
  t.ok('text, long text, number, email (retry), URL (retry) and phone inputs');
  await see(page, 'When did you last travel?');
  await slot.locator('input[type=date]').fill('2024-05-01');
  await click(slot, 'Send');
  await see(page, 'When does your next flight leave?');
  await slot.locator('input[type=datetime-local]').fill('2025-06-01T10:30');
  await click(slot, 'Send');
  await see(page, 'Which dates are you off next?');
  await slot.locator('input[type=date]').first().fill('2025-07-01');
  await slot.locator('input[type=date]').last().fill('2025-07-14');
  await click(slot, 'Send');
  await see(page, 'What time do you usually wake up');
  await slot.locator('input[type=time]').fill('07:30');
  await click(slot, 'Send');
  t.ok('date, date and time, date range and time inputs (loaded lazily)');
  await see(page, 'Window or aisle?');
  await click(slot, 'Window');
  await see(page, 'Window it is');
  await see(page, 'Which continents');
  await click(slot, 'Africa');
  await click(slot, 'Europe');
  await click(slot, 'Send');
  await see(page, 'Pick your home airport.');
  await slot.getByRole('searchbox').fill('Lon');
  check(!(await slot.getByRole('button', { name: 'Paris CDG' }).isVisible()), 'the search filters the choices');
  await click(slot, 'London Heathrow');
  await see(page, 'Which view do you prefer?');
  t.ok(`single, multiple and searchable choices; ${await screenshot(page, 'inputs-pictures', t.out, t.browser)}`);
  await click(slot, 'Mountains');
  await see(page, 'How was your last flight?');
  await slot.getByRole('radio', { name: '4', exact: true }).click();
  await click(slot, 'Send');
  await see(page, 'Share a photo');
  await click(slot, 'No photo');
  await see(page, 'where should we send you next?');
  await slot.locator('article[aria-label=Lisbon]').getByRole('button', { name: "Let's go" }).click();
  await see(page, "Here's your travel card, Globetrotter");
  t.ok(`picture choice, rating (icons), optional file skipped, cards; ${await screenshot(page, 'inputs-end', t.out, t.browser)}`);
  await t.done(page);
}
