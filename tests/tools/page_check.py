#!/usr/bin/env python3
# Loads an HTML page in headless Chromium through the DevTools protocol (over a pipe: no
# websocket module needed) and prints one JSON line: every image with whether it loaded
# (complete and naturalWidth > 0), every console error, uncaught exception and failed load,
# and the screenshot's size and number of distinct colours (PNG decoded here, zlib only).
# usage: page_check.py PAGE.html SCREENSHOT.png
import base64, fcntl, json, os, select, shutil, struct, subprocess, sys, time, zlib

WIDTH, HEIGHT = 1280, 2400


def png_colours(data):
    """(width, height, distinct RGB colours) of an 8-bit RGB or RGBA non-interlaced PNG."""
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, lace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and ctype in (2, 6) and lace == 0, 'PNG kind not handled'
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, stride, prev, colours = zlib.decompress(idat), w * bpp, bytearray(w * bpp), set()
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp * 4):  # every 4th pixel is plenty to count colours
            colours.add(bytes(line[x:x + 3]))
        prev = line
    return w, h, len(colours)


class Browser:
    def __init__(self, exe):
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        # Above 4, so that moving them onto 3 and 4 in the child cannot clobber one another.
        child_r, child_w = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
        for fd in (to_r, from_w):
            os.close(fd)

        def on_3_and_4():
            # --remote-debugging-pipe reads commands on fd 3 and writes replies on fd 4.
            os.dup2(child_r, 3)
            os.dup2(child_w, 4)

        self.proc = subprocess.Popen(
            [exe, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
             '--remote-debugging-pipe', '--user-data-dir=' + os.environ['CCX_PAGE_PROFILE'],
             'about:blank'],
            preexec_fn=on_3_and_4, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(child_r)
        os.close(child_w)
        self.buf, self.next_id, self.events = b'', 0, []

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        os.write(self.to_w, json.dumps(msg).encode() + b'\0')
        while True:
            m = self.recv(timeout)
            if m.get('id') == self.next_id:
                if 'error' in m:
                    raise RuntimeError('%s: %s' % (method, m['error']))
                return m['result']

    def recv(self, timeout):
        end = time.time() + timeout
        while b'\0' not in self.buf:
            left = end - time.time()
            if left <= 0 or not select.select([self.from_r], [], [], left)[0]:
                raise TimeoutError('no answer from chromium')
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise EOFError('chromium closed the pipe')
            self.buf += chunk
        msg, self.buf = self.buf.split(b'\0', 1)
        m = json.loads(msg)
        if 'method' in m:
            self.events.append(m)
        return m

    def wait_event(self, method, timeout=30):
        end = time.time() + timeout
        while not any(e['method'] == method for e in self.events):
            self.recv(max(0.1, end - time.time()))

    def close(self):
        try:
            self.send('Browser.close', timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    page, shot = os.path.abspath(sys.argv[1]), sys.argv[2]
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    b = Browser(exe)
    try:
        target = b.send('Target.createTarget', {'url': 'about:blank'})['targetId']
        s = b.send('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
        for domain in ('Page', 'Runtime', 'Log'):
            b.send(domain + '.enable', session=s)
        b.send('Emulation.setDeviceMetricsOverride',
               {'width': WIDTH, 'height': HEIGHT, 'deviceScaleFactor': 1, 'mobile': False},
               session=s)
        b.events.clear()
        b.send('Page.navigate', {'url': 'file://' + page}, session=s)
        b.wait_event('Page.loadEventFired')
        images = b.send('Runtime.evaluate', {
            'expression': 'JSON.stringify([...document.images].map(i => ({src: i.getAttribute("src"), '
                          'loaded: i.complete && i.naturalWidth > 0, width: i.naturalWidth})))',
            'returnByValue': True}, session=s)['result']['value']
        status = b.send('Runtime.evaluate', {
            'expression': '(document.getElementById("status") || {}).textContent || ""',
            'returnByValue': True}, session=s)['result']['value']
        png = base64.b64decode(b.send('Page.captureScreenshot', {'format': 'png'}, session=s)['data'])
        time.sleep(0.3)  # late console messages
        try:
            b.recv(0.2)
        except TimeoutError:
            pass
    finally:
        b.close()
    with open(shot, 'wb') as f:
        f.write(png)
    errors = []
    for e in b.events:
        p = e.get('params', {})
        if e['method'] == 'Runtime.exceptionThrown':
            errors.append('exception: ' + p['exceptionDetails'].get('text', ''))
        elif e['method'] == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
            errors.append('console.' + p['type'])
        elif e['method'] == 'Log.entryAdded' and p['entry'].get('level') == 'error':
            errors.append('log: %s %s' % (p['entry'].get('text'), p['entry'].get('url', '')))
    w, h, colours = png_colours(png)
    print(json.dumps({'images': json.loads(images), 'errors': errors, 'status': status,
                      'screenshot': {'width': w, 'height': h, 'colours': colours}}))


if __name__ == '__main__':
    main()
