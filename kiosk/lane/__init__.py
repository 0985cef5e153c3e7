"""One lane at the counter (DESIGN.md, "Inside kiosk/"): the pipeline (the state machine
of one traveller), capture (device events -> quality worker -> pipeline: the one owner of
the flow), devices (the hub), quality (the worker process), sealer (into the outbox) and
the lane's policy. The UI observes a lane and sends the officer's intents; it never talks
to a driver."""
