print("reelflow")
