// Read iCalendar objects (a JSON list of strings on stdin) with ical.js (Thunderbird's
// parser) and print, as a JSON list, what it understood of each: the calendar's name and
// METHOD, and each event's UID, SUMMARY, LOCATION, DESCRIPTION, URL, STATUS, SEQUENCE, the CN
// of its ORGANIZER and ATTENDEEs, and its start and end as UTC instants (Unix seconds). Time
// zones are resolved from the object's own VTIMEZONEs, as Thunderbird does. One process for many objects: Node starts slowly.
import ICAL from "ical.js";

// RFC 7986's NAME and the customary X-WR-CALNAME are TEXT (escaped as RFC 5545 §3.3.11 says);
// ical.js 2.2 knows neither and would hand back the escaped value.
for (const name of ["name", "x-wr-calname"]) ICAL.design.defaultSet.property[name] = { defaultType: "text" };

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;

function read(source) {
const calendar = new ICAL.Component(ICAL.parse(source));
const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  const zoned = (time) => ({ utc: time.toUnixTime(), tzid: time.zone ? time.zone.tzid : null });
  return {
    uid: event.uid,
    summary: event.summary,
    location: event.location,
    description: event.description,
    url: vevent.getFirstPropertyValue("url"),
    status: vevent.getFirstPropertyValue("status"),
    sequence: event.sequence,
    start: zoned(event.startDate),
    end: zoned(event.endDate),
    organizer: vevent.getFirstPropertyValue("organizer"),
    attendees: vevent.getAllProperties("attendee").map((a) => ({
      value: a.getFirstValue(), rsvp: a.getParameter("rsvp"),
    })),
    organizer_cn: vevent.getFirstProperty("organizer")?.getParameter("cn") ?? null,
    attendee_cns: vevent.getAllProperties("attendee").map((a) => a.getParameter("cn") ?? null),
  };
});
return {
  name: calendar.getFirstPropertyValue("name"),
  calname: calendar.getFirstPropertyValue("x-wr-calname"),
  method: calendar.getFirstPropertyValue("method"),
  timezones: calendar.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")),
  events,
};
}

process.stdout.write(JSON.stringify(JSON.parse(text).map(read)));
