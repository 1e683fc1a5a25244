# Connects to the echo app through the QEMU port forward on 127.0.0.1:5555
# (retrying while the guest boots), checks the echo, then stops the server.
import socket, sys, time
deadline = time.time() + 240
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", 5555), timeout=5)
        s.sendall(b"ping over loopback\n")
        data = s.recv(100)
        if data:
            print("got", data)
            s.close()
            s = socket.create_connection(("127.0.0.1", 5555), timeout=5)
            s.sendall(b"shutdown\n")
            s.close()
            sys.exit(0 if data == b"ping over loopback\n" else 1)
        s.close()
    except OSError as e:
        pass
    time.sleep(1)
sys.exit(2)
