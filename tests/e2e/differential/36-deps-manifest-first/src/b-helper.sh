echo "helper part"
