"""Discord adapters: parse options, call a service, render the answer."""
